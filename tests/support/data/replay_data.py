"""For replay tests: referrals received at chosen times, candidate policies written
in tmp_path (a copy of rules/policy with one edit), and a fingerprint of the tables
a replay must not touch."""
import hashlib
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from rules.loader import DEFAULT_DIRECTORY, FILES

# The period the tests replay: 2-4 November 2026 (UK days; GMT, so UTC days too).
SINCE, UNTIL = "2026-11-02", "2026-11-04"
IN_PERIOD = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
BEFORE = datetime(2026, 11, 1, 23, 59, tzinfo=UTC)  # the day before the first
AFTER = datetime(2026, 11, 5, 0, 0, tzinfo=UTC)  # UK midnight after the last: outside
REHAB_AT_HOME = {"presenting_need": "rehabilitation",
                 "function": {"medically_stable": True, "rehab_potential": True, "needs_overnight_care": False}}
UCR_ROUTE = ("route: crisis_response\n    urgency: urgent", "route: home_rehab\n    urgency: urgent")
TABLES = ("referrals", "triage_decisions", "clocks", "audit_events")


def policy_copy(where: Path, edit: tuple[str, str] | None = UCR_ROUTE, file: str = "routing.yaml") -> Path:
    """rules/policy copied to ``where``, with one text replaced in ``file`` (the default
    moves rule ucr-condition from crisis_response to home_rehab)."""
    where.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(DEFAULT_DIRECTORY / name, where / name)
    if edit:
        before, after = edit
        content = (where / file).read_text()
        assert content.count(before) == 1, f"the edit should match once in {file}"
        (where / file).write_text(content.replace(before, after))
    return where


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.org",
                           *args], check=True, capture_output=True, text=True).stdout.strip()


def committed_policy(repo: Path) -> Path:
    """A git checkout holding rules/policy: HEAD~1 the policy as it runs, HEAD with
    rule ucr-condition moved to home_rehab. Returns the policy directory."""
    policy = policy_copy(repo / "rules" / "policy", edit=None)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "policy as it runs")
    policy_copy(policy)
    git(repo, "commit", "-qam", "ucr to home rehab")
    return policy


def fingerprint(db) -> dict:
    """Each table's row count and a checksum of every row, in id order."""
    found = {}
    with db.engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()  # noqa: S608 - fixed names
            found[table] = (len(rows), hashlib.sha256(repr([tuple(map(str, r)) for r in rows]).encode()).hexdigest())
    return found


@pytest.fixture
def receive(client, sender, payload, frozen_now):
    """receive(at, **fields) -> the new referral's reference (posted as a sending system at ``at``)."""
    _, headers = sender

    def post(at=IN_PERIOD, **fields):
        with frozen_now(at):
            response = client.post("/api/v1/referrals", json=payload(**fields), headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["reference"]

    return post
