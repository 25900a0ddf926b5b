"""`flask --app wsgi rules replay`: a clinical lead's what-if from the command line."""
import csv
import io

import pytest

from rules.loader import load_policy
from tests.support.data.replay_data import (
    SINCE,
    UNTIL,
    committed_policy,
    fingerprint,
    policy_copy,
)


@pytest.fixture
def cli(app, db):
    return app.test_cli_runner()


@pytest.fixture
def three_moved(receive):
    """Two urgent community response referrals and one no rule routes, in the period."""
    return [receive(), receive(), receive(presenting_need="other")]


def replay(cli, *args):
    return cli.invoke(args=["rules", "replay", *args])


def test_text_gives_the_counts_the_table_and_the_changed_list(cli, db, three_moved, tmp_path):
    before = fingerprint(db)
    result = replay(cli, "--rules", str(policy_copy(tmp_path / "c")), "--since", SINCE, "--until", "04/11/2026")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "received 2 Nov 2026 to 4 Nov 2026" in out
    assert "Rules decisions replayed: 3\n" in out and "Would change route: 2\n" in out
    assert "Crisis response (2-hour urgent community response) -> Home-based rehabilitation: 2" in out
    assert "Changed referrals (2):" in out
    for reference in three_moved[:2]:
        assert reference in out
    assert three_moved[2] not in out
    assert "before: crisis_response (urgent), rule ucr-condition:" in out
    assert "Decided by policy versions" not in out  # every one by the policy running now
    assert fingerprint(db) == before


def test_decisions_made_by_an_earlier_policy_version_are_pointed_out(cli, db, three_moved, tmp_path):
    from spoa.models import TriageDecision

    db.session.query(TriageDecision).filter(TriageDecision.rule_id == "fallback").update(
        {"rules_version": "sha256:0123456789ab"})
    db.session.commit()
    result = replay(cli, "--rules", str(policy_copy(tmp_path / "c")), "--since", SINCE, "--until", UNTIL)
    assert result.exit_code == 0, result.output
    assert "Decided by policy versions " in result.output and "sha256:0123456789ab (1)" in result.output


def test_csv_is_the_changed_list_written_to_a_file(cli, db, three_moved, tmp_path):
    target = tmp_path / "changed.csv"
    result = replay(cli, "--rules", str(policy_copy(tmp_path / "c")), "--since", SINCE, "--until", UNTIL,
                    "--format", "csv", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert "2 of 3 rules decisions replayed would change" in result.output  # (on stderr)
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert sorted(r["SPOA reference"] for r in rows) == sorted(three_moved[:2])
    assert {(r["Route before"], r["Route after"]) for r in rows} == {("crisis_response", "home_rehab")}


def test_a_revision_is_replayed_from_the_checkout_the_app_runs_from(cli, app, db, three_moved, tmp_path,
                                                                    monkeypatch):
    policy = committed_policy(tmp_path / "repo")
    monkeypatch.setitem(app.extensions, "spoa_policy", load_policy(policy))
    result = replay(cli, "--rev", "HEAD", "--since", SINCE, "--until", UNTIL)
    assert result.exit_code == 0, result.output
    assert "rules/policy at revision HEAD" in result.output and "Would change route: 2\n" in result.output
    unknown = replay(cli, "--rev", "nope", "--since", SINCE)
    assert unknown.exit_code == 2 and "--rev: Unknown git revision 'nope'" in unknown.output


def test_an_invalid_candidate_names_file_and_line_without_a_traceback(cli, db, tmp_path):
    bad = policy_copy(tmp_path / "bad",
                      ("route: home_rehab\n    urgency: routine", "route: nowhere\n    urgency: routine"))
    result = replay(cli, "--rules", str(bad), "--since", SINCE)
    assert result.exit_code == 2
    assert "--rules: routing.yaml, line " in result.output
    assert "rule rehab-home: unknown route 'nowhere'" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, (SystemExit, type(None)))


@pytest.mark.parametrize("args, message", [
    (["--since", SINCE], "--rules PATH or --rev REV"),
    (["--rules", "x", "--rev", "HEAD", "--since", SINCE], "--rules PATH or --rev REV"),
    (["--rules", "{policy}", "--since", "yesterday"], "--since: Enter a date"),
    (["--rules", "{policy}", "--since", "31/02/2026"], "--since: Enter a date"),
    (["--rules", "{policy}", "--since", UNTIL, "--until", SINCE], "--until: The last day is before the first"),
    (["--rules", "{policy}", "--since", "2099-01-01"], "--since: The first day is after today"),
    (["--rules", "{policy}", "--since", "2020-01-01", "--until", "2026-11-01"], "--until: Replay at most"),
    (["--rules", "{nowhere}", "--since", SINCE], "is not a directory"),
])
def test_bad_input_exits_non_zero_saying_which_option(cli, db, tmp_path, args, message):
    fill = {"policy": str(policy_copy(tmp_path / "c")), "nowhere": str(tmp_path / "nowhere")}
    result = replay(cli, *(a.format(**fill) for a in args))
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
