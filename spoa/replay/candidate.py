"""Where a candidate policy comes from, loaded and checked by the loader as the app's own is.

A directory laid out as rules/policy (the CLI's --rules); the files a person
uploads, the rest taken from the policy the app runs with (the admin page); or
rules/policy as it was at a git revision of the checkout the app runs from (--rev).
Whatever is wrong comes back as one CandidateError naming the file and, where the
loader names a rule, route or list, the line it starts on: never a traceback.
"""
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from rules.digits import is_ascii_digits
from rules.errors import PolicyError
from rules.loader import FILES, load_policy
from rules.policy_model import Policy

# A revision as git names one (a branch, a tag, a commit, main~2, HEAD^): never an
# option (a leading -), never a space or a control character.
_REVISION = re.compile(r"^[A-Za-z0-9_./~^@{}+:-]{1,200}$")
GIT_TIMEOUT_SECONDS = 30


class CandidateError(ValueError):
    """The candidate could not be had or does not load. ``field``: which input it is
    about (rules, rev, or an uploaded file's name), for a page to show it beside."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class Candidate:
    policy: Policy
    described: str  # where it came from, in words: shown above the results


def from_directory(directory: Path | str, field: str = "rules") -> Candidate:
    directory = Path(directory)
    if not directory.is_dir():
        raise CandidateError(f"{directory} is not a directory (give one laid out as rules/policy: "
                             f"{', '.join(FILES)})", field)
    return Candidate(_load(directory, field), f"the policy in {directory}")


def from_files(uploaded: dict[str, bytes], base: Path) -> Candidate:
    """``uploaded`` (file name -> its bytes, names among FILES) over the files of the
    policy in ``base`` (the one the app runs with)."""
    if not uploaded:
        raise CandidateError("Upload at least one changed policy file, or name a git revision", "files")
    unknown = sorted(set(uploaded) - set(FILES))
    if unknown:
        raise CandidateError(f"{', '.join(unknown)} is not a policy file (they are {', '.join(FILES)})", "files")
    with tempfile.TemporaryDirectory(prefix="spoa-replay-") as temp:
        for name in FILES:
            target = Path(temp) / name
            if name in uploaded:
                target.write_bytes(uploaded[name])
            else:
                shutil.copyfile(base / name, target)
        policy = _load(Path(temp), "files", field_of=lambda name: name if name in uploaded else "files")
    changed = ", ".join(sorted(uploaded))
    return Candidate(policy, f"{changed} as uploaded, the rest of the policy as it runs now")


def from_revision(revision: str, directory: Path) -> Candidate:
    """The policy files in ``directory`` (rules/policy in a git checkout) as they were
    at ``revision``."""
    revision = (revision or "").strip()
    if not _REVISION.match(revision) or revision.startswith("-"):
        raise CandidateError("Give a git revision as git names one: a branch, a tag or a commit, "
                             "for example main or 81c64d3", "rev")
    if _git(directory, "rev-parse", "--is-inside-work-tree", failed=None) is None:
        raise CandidateError(f"{directory} is not in a git checkout, so there is no revision to read "
                             "(upload the changed files, or give a directory, instead)", "rev")
    prefix = _git(directory, "rev-parse", "--show-prefix").strip()
    commit = _git(directory, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", failed=None)
    if not commit:
        raise CandidateError(f"Unknown git revision {revision!r} in this checkout", "rev")
    commit = commit.strip()
    with tempfile.TemporaryDirectory(prefix="spoa-replay-") as temp:
        for name in FILES:
            data = _git(directory, "show", f"{commit}:{prefix}{name}", failed=None, text=False)
            if data is None:
                raise CandidateError(f"{prefix}{name} is not in revision {revision} ({commit[:12]})", "rev")
            (Path(temp) / name).write_bytes(data)
        policy = _load(Path(temp), "rev", shown=f"{prefix}{{}} at {revision}")
    return Candidate(policy, f"{prefix.rstrip('/') or 'the policy'} at revision {revision} ({commit[:12]})")


def _git(directory: Path, *args: str, failed="raise", text=True):
    """git's output, or ``failed`` when it says no (a CandidateError if failed is "raise")."""
    try:
        done = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, timeout=GIT_TIMEOUT_SECONDS,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except FileNotFoundError:
        raise CandidateError("git is not installed here, so a revision cannot be read", "rev") from None
    except subprocess.TimeoutExpired:
        raise CandidateError(f"git took longer than {GIT_TIMEOUT_SECONDS} s to answer", "rev") from None
    if done.returncode != 0:
        if failed == "raise":
            said = done.stderr.decode(errors="replace").strip().splitlines()
            raise CandidateError(f"git could not read the checkout: {said[0] if said else done.returncode}", "rev")
        return failed
    return done.stdout.decode() if text else done.stdout


def _load(directory: Path, field: str, field_of=None, shown: str = "{}") -> Policy:
    try:
        return load_policy(directory)
    except PolicyError as exc:
        try:
            data = (directory / exc.file).read_bytes()
        except OSError:
            data = None
        raise CandidateError(describe(exc, data, shown.format(exc.file)),
                             field_of(exc.file) if field_of else field) from None


def describe(error: PolicyError, data: bytes | None, shown: str | None = None) -> str:
    """The loader's message with the line it is about: "routing.yaml, line 70: rule
    under-18: unknown route ..."."""
    line = line_of(error, data) if data is not None else None
    where = f"{shown or error.file}, line {line}" if line else (shown or error.file)
    # PyYAML's own words run on with the parser's position and a caret: the line said it.
    problem = error.problem.splitlines()[0] if error.problem.startswith("not valid YAML") else error.problem
    return f"{where}: {error.where}: {problem}" if error.where else f"{where}: {problem}"


_YAML_LINE = re.compile(r"line (\d+), column \d+")


def line_of(error: PolicyError, data: bytes) -> int | None:
    """The line (1-based) of what the error names: for a YAML mistake, where the parser
    stopped; else where the named entry starts (rule under-18: its `id: under-18`;
    route bed_rehab, clock triage: that clock under that route). None if not found."""
    if error.problem.startswith("not valid YAML"):
        found = _YAML_LINE.findall(error.problem)
        return int(found[-1]) if found else None
    if not error.where:
        return None
    try:
        node = yaml.compose(data, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for part in error.where.split(", "):
        kind, _, token = part.rpartition(" ")
        if kind in ("rule", "flag") and is_ascii_digits(token, most=6):  # an entry with no id is named by its row
            found = _nth(node, kind + "s", int(token))
        else:
            found = _find(node, token)
        if found is None:
            break
        line, node = found
    return line


def _nth(node, section: str, row: int):
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == section and isinstance(value, yaml.SequenceNode) and 0 < row <= len(value.value):
                return value.value[row - 1].start_mark.line + 1, value.value[row - 1]
    return None


def _find(node, token: str):
    """The first scalar ``token`` under ``node`` in document order: (its line, the node
    to look in next: a key's value, or the mapping an `id: token` belongs to)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == token:
                return key.start_mark.line + 1, value
            if isinstance(value, yaml.ScalarNode) and value.value == token:
                return key.start_mark.line + 1, node
        for _, value in node.value:
            found = _find(value, token)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = _find(item, token)
            if found:
                return found
    return None
