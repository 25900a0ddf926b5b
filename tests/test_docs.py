"""The README is the front door and docs/ the manual: both must stay true to the tree.

Every setting the app or gunicorn reads is in the settings table (an undocumented
setting is one an operator cannot know to set), the README's layout table names
every package, and no relative link in the manual leads to a missing file or heading.
"""
import ast
import re
from collections.abc import Mapping
from pathlib import Path

from spoa.config import Config, TestConfig

ROOT = Path(__file__).resolve().parents[1]
MANUAL = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "rules" / "README.md",
          ROOT / "bench" / "README.md"]
# Besides every package under spoa/: the top-level directories a newcomer must find.
TOP_LEVEL = ["rules", "workers", "migrations", "tests", "bench", "scripts", "docs"]


class _Recording(Mapping):
    """An environment that remembers every name asked of it, set or not."""

    def __init__(self, values):
        self.values, self.asked = dict(values), set()

    def __getitem__(self, name):
        self.asked.add(name)
        return self.values[name]

    def get(self, name, default=None):
        self.asked.add(name)
        return self.values.get(name, default)

    def __contains__(self, name):
        self.asked.add(name)
        return name in self.values

    def __iter__(self):
        return iter(self.values)

    def __len__(self):
        return len(self.values)


def _settings_read_by_config() -> set[str]:
    key = "k" * 64  # keys given, so no laptop key file is written
    laptop = {"DATABASE_URL": "sqlite://", "SECRET_KEY": key, "SEAL_KEYS": key, "EXTRACT_PSEUDONYM_KEY": key}
    production = {**laptop, "DATABASE_URL": "postgresql://spoa@db.invalid/spoa"}
    asked = set()
    for values in (laptop, production):
        for config in (Config, TestConfig):
            env = _Recording(values)
            config(env)
            asked |= env.asked
    return asked


def _environment_reads(path: Path) -> set[str]:
    """Names a module reads from os.environ (or through a helper taking the name first,
    as gunicorn.conf.py's _env): os.environ.get("X"), os.environ["X"], os.getenv("X")."""
    tree = ast.parse(path.read_text())
    helpers = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
               and "os.environ" in ast.unparse(node)}
    names = set()
    for node in ast.walk(tree):
        first = None
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "os.getenv", "environ.get") or func in helpers:
                first = node.args[0].value
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ" \
                and isinstance(node.slice, ast.Constant):
            first = node.slice.value
        if isinstance(first, str):
            names.add(first)
    return names


def _settings_table() -> set[str]:
    """The names in the first column of docs/operating.md's settings table."""
    text = (ROOT / "docs" / "operating.md").read_text()
    section = text.split("## Configuration (environment)", 1)[1].split("\n#", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split(" | ")[0]))
    return names


def test_every_setting_config_reads_is_in_the_settings_table():
    read = _settings_read_by_config()
    # The recording sees what Config really asks for, not a list kept by hand.
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "SEAL_KEYS", "EXTRACT_MIN_CELL"} <= read
    missing = sorted(read - _settings_table())
    assert not missing, f"settings spoa/config.py reads but docs/operating.md's table does not list: {missing}"


def test_every_setting_read_elsewhere_is_in_the_settings_table():
    sources = [ROOT / "gunicorn.conf.py", ROOT / "wsgi.py", *sorted((ROOT / "spoa").rglob("*.py")),
               *sorted((ROOT / "workers").rglob("*.py"))]
    read = {name: path for path in sources for name in _environment_reads(path)}
    assert {"BIND", "WEB_WORKERS", "PROMETHEUS_MULTIPROC_DIR"} <= set(read)
    missing = sorted(f"{name} ({read[name].relative_to(ROOT)})" for name in set(read) - _settings_table())
    assert not missing, f"settings read from the environment but not in docs/operating.md's table: {missing}"


def _packages() -> list[str]:
    inner = sorted(str(path.parent.relative_to(ROOT)) for path in (ROOT / "spoa").rglob("__init__.py")
                   if path.parent != ROOT / "spoa")
    return inner + TOP_LEVEL


def _layout_table() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            named |= {name.rstrip("/") for name in re.findall(r"`([^`]+)`", line.split(" | ")[0])}
    return named


def test_the_layout_table_names_every_package():
    packages = _packages()
    assert "spoa/services" in packages and all((ROOT / name).is_dir() for name in packages)
    missing = [name for name in packages if name not in _layout_table()]
    assert not missing, f"packages the README's layout table does not name: {missing}"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: its text (links read as their words), lower case,
    with everything but letters, digits, spaces, hyphens and underscores dropped, and
    spaces made hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _outside_code(text: str) -> list[str]:
    lines, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def _anchors(path: Path) -> set[str]:
    found, seen = set(), {}
    for line in _outside_code(path.read_text()):
        match = re.match(r"#{1,6} (.*)", line)
        if match:
            anchor = _anchor(match.group(1))
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            found.add(anchor if count == 0 else f"{anchor}-{count}")  # GitHub numbers repeats
    return found


def test_anchors_follow_githubs_rules():
    assert _anchor("Serving (production and laptop)") == "serving-production-and-laptop"
    assert _anchor("The period's counts (`/reports/aggregates.csv`)") == "the-periods-counts-reportsaggregatescsv"
    assert _anchor("Sending a discharge (JSON API, intake 1.1)") == "sending-a-discharge-json-api-intake-11"


def test_every_relative_link_in_the_manual_leads_somewhere():
    broken, checked = [], 0
    for doc in MANUAL:
        for line in _outside_code(doc.read_text()):
            line = re.sub(r"`[^`]*`", "", line)  # a link shown as code is not a link
            for target in re.findall(r"\]\(([^)\s]+)\)", line):
                if re.match(r"[a-z]+:", target):
                    continue  # https:, mailto:: not ours to check
                checked += 1
                file_part, _, anchor = target.partition("#")
                path = (doc.parent / file_part).resolve() if file_part else doc
                where = f"{doc.relative_to(ROOT)}: ({target})"
                if not path.exists():
                    broken.append(f"{where}: no such file")
                elif anchor and (path.suffix != ".md" or anchor not in _anchors(path)):
                    broken.append(f"{where}: no heading #{anchor} in {path.relative_to(ROOT)}")
    assert checked > 20  # the manual does link across its pages
    assert not broken, "\n".join(broken)


def test_the_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 300, "the README is the front door: the manual goes in docs/"
    # CI runs the README's test command (.ci/run): the two commands stay here.
    commands = text.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    assert "scripts/run" in commands and "scripts/test" in commands
