"""The rules what-if replay (spoa/replay): what a changed policy would do to a
period's referrals, decided on the facts each decision was given, changing nothing."""
from datetime import date

import pytest
from sqlalchemy import select, text, update

from rules.loader import load_policy
from spoa.domain.period import Period
from spoa.models import Referral, TriageDecision
from spoa.replay import candidate as candidates
from spoa.replay import run
from spoa.replay.output import COLUMNS, csv_lines
from spoa.replay.read_only import read_only_connection
from tests.support.data.replay_data import (
    AFTER,
    BEFORE,
    REHAB_AT_HOME,
    committed_policy,
    fingerprint,
    git,
    policy_copy,
)

pytestmark = pytest.mark.both_databases

PERIOD = Period(date(2026, 11, 2), date(2026, 11, 4))


@pytest.fixture
def a_mixed_period(receive):
    """Hand-counted: in the period, three urgent community response referrals (crisis
    response), two home rehabilitation, one no rule routes (supervisor review) and one
    with a red flag (999/ED); outside it, one the day before and one at UK midnight after."""
    made = {"ucr": [receive() for _ in range(3)], "rehab": [receive(**REHAB_AT_HOME) for _ in range(2)],
            "other": receive(presenting_need="other"), "red": receive(red_flags=["chest_pain"])}
    made["outside"] = [receive(at=BEFORE), receive(at=AFTER)]
    return made


def moved_ucr(tmp_path):
    return candidates.from_directory(policy_copy(tmp_path / "candidate")).policy


def decision_of(db, reference) -> TriageDecision:
    return db.session.scalar(select(TriageDecision).join(Referral).where(Referral.reference == reference,
                                                                         TriageDecision.kind == "rules"))


def test_moving_one_rule_moves_exactly_its_referrals_in_the_period(db, a_mixed_period, tmp_path):
    result = run.replay(moved_ucr(tmp_path), PERIOD)
    tally = result.tally
    assert (tally.received, tally.replayed, tally.rederived, tally.failed) == (7, 7, 0, 0)
    assert (tally.changed, tally.route_changed, tally.urgency_changed, tally.rule_only) == (3, 3, 0, 0)
    assert result.move_rows == [("crisis_response", "home_rehab", 3)]
    assert sorted(c.reference for c in result.changes) == sorted(a_mixed_period["ucr"])
    change = result.changes[0]
    assert (change.old_route, change.old_rule, change.new_route, change.new_rule) == (
        "crisis_response", "ucr-condition", "home_rehab", "ucr-condition")
    assert change.old_explanation == change.new_explanation  # the same rule's sentence: only its route moved
    assert "fall no injury" in change.new_explanation and not change.rederived


def test_the_running_policy_replayed_changes_nothing_it_decided(db, a_mixed_period, app):
    result = run.replay(app.extensions["spoa_policy"], PERIOD)
    assert (result.tally.replayed, result.tally.changed, result.changes) == (7, 0, [])
    assert set(result.tally.versions) == {app.extensions["spoa_policy"].version}


def test_an_urgency_change_is_counted_and_listed_on_the_same_route(db, a_mixed_period, tmp_path):
    policy = candidates.from_directory(policy_copy(tmp_path / "c", (
        "route: home_rehab\n    urgency: routine", "route: home_rehab\n    urgency: urgent"))).policy
    result = run.replay(policy, PERIOD)
    assert (result.tally.changed, result.tally.route_changed, result.tally.urgency_changed) == (2, 0, 2)
    assert result.move_rows == []
    assert {(c.old_urgency, c.new_urgency) for c in result.changes} == {("routine", "urgent")}
    assert sorted(c.reference for c in result.changes) == sorted(a_mixed_period["rehab"])


def test_the_stored_facts_are_replayed_not_the_referral_as_it_reads_now(db, receive, app):
    """A referral whose stored facts differ from what re-deriving would give (its need
    stored as rehabilitation, the referral saying a fall): the replay decides on what
    the rules saw, so the running policy itself moves it."""
    reference = receive()
    decision = decision_of(db, reference)
    decision.inputs = {**decision.inputs, **{"presenting_need": "rehabilitation", "medically_stable": True,
                                              "rehab_potential": True, "needs_overnight_care": False}}
    db.session.commit()
    result = run.replay(app.extensions["spoa_policy"], PERIOD)
    [change] = result.changes
    assert (change.reference, change.old_rule, change.new_rule, change.new_route) == (
        reference, "ucr-condition", "rehab-home", "home_rehab")
    assert result.tally.rederived == 0


def test_decisions_from_before_facts_were_stored_are_re_derived_and_counted(db, a_mixed_period, tmp_path,
                                                                           monkeypatch):
    pre_0015 = [a_mixed_period["ucr"][0], a_mixed_period["other"]]
    ids = db.session.scalars(select(Referral.id).where(Referral.reference.in_(pre_0015)))
    db.session.execute(update(TriageDecision).where(TriageDecision.referral_id.in_(list(ids)))
                       .values(inputs=None).execution_options(synchronize_session=False))
    db.session.commit()
    monkeypatch.setattr(run, "BATCH", 2)  # the re-derived rows fall in different batches
    result = run.replay(moved_ucr(tmp_path), PERIOD)
    assert (result.tally.replayed, result.tally.rederived, result.tally.route_changed) == (7, 2, 3)
    assert {c.reference: c.rederived for c in result.changes}[pre_0015[0]] is True
    assert sum(c.rederived for c in result.changes) == 1
    assert [c.received_at for c in result.changes] == sorted(c.received_at for c in result.changes)


def test_only_the_last_rules_decision_of_a_referral_is_replayed(db, receive, tmp_path):
    reference = receive()
    first = decision_of(db, reference)
    db.session.add(TriageDecision(referral_id=first.referral_id, kind="rules", rule_id="fallback",
                                  route="supervisor_review", urgency="urgent", rules_version="sha256:later",
                                  facts={}, inputs=first.inputs, explanation="A later decision.",
                                  decided_by="system"))
    db.session.commit()
    result = run.replay(moved_ucr(tmp_path), PERIOD)
    [change] = result.changes
    assert (result.tally.replayed, change.old_rule, change.old_route) == (1, "fallback", "supervisor_review")


def test_facts_a_candidate_cannot_decide_on_are_counted_not_replayed(db, receive, app):
    reference, _ = receive(), receive()
    decision = decision_of(db, reference)
    decision.inputs = {k: v for k, v in decision.inputs.items() if k != "news2"}  # a fact not stored then
    db.session.commit()
    tally = run.replay(app.extensions["spoa_policy"], PERIOD).tally
    assert (tally.replayed, tally.failed) == (1, 1)
    assert tally.failures[0][0] == reference and "news2" in tally.failures[0][1]


def test_replay_changes_nothing_in_the_database(db, a_mixed_period, tmp_path, monkeypatch):
    db.session.execute(update(TriageDecision).where(TriageDecision.rule_id == "fallback").values(inputs=None))
    db.session.commit()
    before = fingerprint(db)
    monkeypatch.setattr(run, "BATCH", 3)
    result = run.replay(moved_ucr(tmp_path), PERIOD)
    list(csv_lines(run.replayed(moved_ucr(tmp_path), PERIOD)))
    assert result.tally.rederived == 1 and result.tally.changed == 3  # it did replay, re-deriving too
    db.session.expire_all()
    assert fingerprint(db) == before


def test_the_replay_s_connection_refuses_writes_and_is_given_back_writable(db, a_mixed_period):
    with read_only_connection() as conn:
        with pytest.raises(Exception) as refused:
            conn.execute(text("UPDATE referrals SET route = 'bed_rehab'"))
    assert "read" in str(refused.value).lower()  # "readonly database" / "read-only transaction"
    # Every pooled connection writes again afterwards: intake is not left read-only.
    conns = [db.engine.connect() for _ in range(max(1, db.engine.pool.checkedin()))]
    try:
        for conn in conns:
            with conn.begin():
                conn.execute(text("UPDATE referrals SET urgency = urgency"))
    finally:
        for conn in conns:
            conn.close()
    assert db.session.scalar(select(Referral.route).where(Referral.reference == a_mixed_period["red"])) == \
        "emergency_redirect"


def test_the_csv_is_the_changed_list_one_row_each(db, a_mixed_period, tmp_path):
    import csv

    rows = list(csv.reader("".join(csv_lines(run.replayed(moved_ucr(tmp_path), PERIOD))).splitlines()))
    assert rows[0] == [heading for heading, _ in COLUMNS]
    assert sorted(r[0] for r in rows[1:]) == sorted(a_mixed_period["ucr"])
    assert {(r[2], r[6]) for r in rows[1:]} == {("crisis_response", "home_rehab")}


# --- where a candidate comes from ------------------------------------------------------

def test_an_invalid_candidate_names_its_file_and_the_rule_s_line(tmp_path):
    where = policy_copy(tmp_path / "bad",
                        ("route: home_rehab\n    urgency: routine", "route: nowhere\n    urgency: routine"))
    with pytest.raises(candidates.CandidateError) as bad:
        candidates.from_directory(where)
    line = next(n for n, text in enumerate((where / "routing.yaml").read_text().splitlines(), 1)
                if text.strip() == "- id: rehab-home")
    assert bad.value.message.startswith(f"routing.yaml, line {line}: rule rehab-home: unknown route 'nowhere'")


def test_a_candidate_that_is_not_yaml_says_where_the_parser_stopped(tmp_path):
    where = policy_copy(tmp_path / "bad", ("lists:", "lists: [\n"), file="routing.yaml")
    with pytest.raises(candidates.CandidateError) as bad:
        candidates.from_directory(where)
    assert bad.value.message.startswith("routing.yaml, line ") and "not valid YAML" in bad.value.message
    assert "\n" not in bad.value.message


def test_a_missing_directory_or_file_is_said_plainly(tmp_path):
    with pytest.raises(candidates.CandidateError, match="is not a directory"):
        candidates.from_directory(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(candidates.CandidateError, match="clocks.yaml: cannot be read"):
        candidates.from_directory(tmp_path / "empty")


def test_uploaded_files_take_the_rest_from_the_running_policy(tmp_path):
    edited = policy_copy(tmp_path / "c")
    chosen = candidates.from_files({"routing.yaml": (edited / "routing.yaml").read_bytes()},
                                   load_policy().directory)
    assert next(r for r in chosen.policy.rules if r.id == "ucr-condition").route == "home_rehab"
    assert chosen.policy.version == candidates.from_directory(edited).policy.version
    with pytest.raises(candidates.CandidateError) as bad:
        candidates.from_files({"clocks.yaml": b"routes: {}\n"}, load_policy().directory)
    assert bad.value.field == "clocks.yaml" and bad.value.message.startswith("clocks.yaml")
    with pytest.raises(candidates.CandidateError, match="not a policy file"):
        candidates.from_files({"other.yaml": b""}, load_policy().directory)


@pytest.fixture
def policy_repo(tmp_path):
    """A git checkout holding rules/policy: HEAD~1 the policy as it is, HEAD with rule
    ucr-condition moved to home_rehab."""
    return committed_policy(tmp_path / "repo")


def test_a_git_revision_s_policy_is_replayed(db, a_mixed_period, policy_repo):
    moved = candidates.from_revision("HEAD", policy_repo)
    assert "rules/policy at revision HEAD" in moved.described
    assert run.replay(moved.policy, PERIOD).move_rows == [("crisis_response", "home_rehab", 3)]
    as_it_was = candidates.from_revision("HEAD~1", policy_repo)
    assert run.replay(as_it_was.policy, PERIOD).tally.changed == 0


def test_a_revision_reads_what_was_committed_not_the_working_tree(policy_repo):
    (policy_repo / "routing.yaml").write_text("not: [valid")
    assert candidates.from_revision("HEAD", policy_repo).policy.rules


@pytest.mark.parametrize("revision, message", [
    ("no-such-branch", "Unknown git revision 'no-such-branch'"),
    ("--output=/tmp/x", "Give a git revision as git names one"),
    ("HEAD two", "Give a git revision as git names one"),
])
def test_a_bad_revision_is_said_plainly(policy_repo, revision, message):
    with pytest.raises(candidates.CandidateError, match=message):
        candidates.from_revision(revision, policy_repo)


def test_a_revision_outside_a_git_checkout_is_said_plainly(tmp_path):
    with pytest.raises(candidates.CandidateError, match="not in a git checkout"):
        candidates.from_revision("HEAD", policy_copy(tmp_path / "plain", edit=None))


def test_a_revision_whose_policy_does_not_load_names_the_file_at_that_revision(policy_repo):
    policy_copy(policy_repo, ("route: home_rehab\n    urgency: routine", "route: nowhere\n    urgency: routine"))
    git(policy_repo.parent.parent, "commit", "-qam", "a mistake")
    with pytest.raises(candidates.CandidateError) as bad:
        candidates.from_revision("HEAD", policy_repo)
    assert bad.value.message.startswith("rules/policy/routing.yaml at HEAD, line ")
    assert "unknown route 'nowhere'" in bad.value.message
