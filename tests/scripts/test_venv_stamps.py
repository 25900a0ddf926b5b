"""scripts/run and scripts/test share one venv: each must know whether its own
requirements file is installed. The real bash function runs
in a temporary copy of the repo, with a fake pip that records what it was asked."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAKE_PIP = """#!/usr/bin/env bash
echo "$*" >> "$(dirname "$0")/../pip.log"
"""


def make_repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "lib.sh", repo / "scripts" / "lib.sh")
    for name in ("requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, repo / name)
    bin_dir = repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)  # "the venv exists": never created here
    (bin_dir / "pip").write_text(FAKE_PIP)
    (bin_dir / "pip").chmod(0o755)
    return repo


def ensure(repo, *requirements) -> list[str]:
    """Run ensure_venv for each file in turn, as scripts/run and scripts/test do; the pip calls made."""
    log = repo / ".venv" / "pip.log"
    log.unlink(missing_ok=True)
    script = "; ".join(f"ensure_venv {name}" for name in requirements)
    subprocess.run(["bash", "-c", f"source scripts/lib.sh; {script}"], cwd=repo, check=True,
                   env={**os.environ, "PYTHON": sys.executable}, capture_output=True, timeout=30)
    return log.read_text().splitlines() if log.exists() else []


def installs(calls) -> list[str]:
    return [c for c in calls if c.startswith("install -q -r ")]


def test_run_then_test_installs_the_dev_requirements(tmp_path):
    repo = make_repo(tmp_path)
    assert installs(ensure(repo, "requirements.txt")) == ["install -q -r requirements.txt"]
    assert installs(ensure(repo, "requirements-dev.txt")) == ["install -q -r requirements-dev.txt"]


def test_test_then_run_installs_nothing_twice_and_a_change_reinstalls(tmp_path):
    repo = make_repo(tmp_path)
    ensure(repo, "requirements-dev.txt", "requirements.txt")
    assert ensure(repo, "requirements-dev.txt", "requirements.txt") == []  # both stamps still good
    with open(repo / "requirements.txt", "a") as f:
        f.write("example-new-package==1.0\n")
    assert installs(ensure(repo, "requirements-dev.txt", "requirements.txt")) == [
        "install -q -r requirements-dev.txt", "install -q -r requirements.txt"]
