"""Flow: referrals by state now, declines and their reasons, the referrals each
rule sent to a supervisor, and overrides of the rules' decision, counted by hand."""
from datetime import date

from spoa.domain.lifecycle import STATES
from spoa.domain.period import Filters, Period
from spoa.domain.policy import current_policy
from spoa.reports import flow
from tests.support.data.report_data import commit, decision, decline, override, referral, review

WEEK = Period(date(2026, 10, 19), date(2026, 10, 25))
CRISIS = "Crisis response (2-hour urgent community response)"


def section(filters=Filters()):
    return flow.section(WEEK, filters)


def table(table_id, filters=Filters()):
    return next(t for t in section(filters).tables if t.id == table_id)


def described(rule_id):
    return next(rule.description for rule in current_policy().rules if rule.id == rule_id)


def test_referrals_by_state_now_every_state_listed(db):
    referral("2026-10-20T09:00Z", state="offered")
    referral("2026-10-20T09:00Z", state="offered")
    referral("2026-10-24T23:30Z", state="completed")       # 00:30 BST on the 25th: in
    referral("2026-10-25T23:59Z", state="in_review")       # 23:59 GMT on the 25th: in
    referral("2026-10-26T00:00Z", state="in_review")       # the next week's
    referral("2026-10-18T22:59Z", state="accepted")        # 23:59 BST on the 18th: the week before
    commit()

    found = table("flow_by_state")
    assert [row[0] for row in found.rows] == list(STATES)
    assert {row[0]: row[2] for row in found.rows if row[2]} == {"offered": 2, "completed": 1, "in_review": 1}
    assert dict((row[0], row[1]) for row in found.rows)["in_review"] == "In review"


def test_declines_by_the_route_that_declined_and_their_reasons(db):
    one = referral("2026-10-20T09:00Z", route="supervisor_review", state="in_review")
    decline(one, "2026-10-20T10:00Z", "No capacity today", by_route="crisis_response")
    two = referral("2026-10-21T09:00Z", route="reablement", state="offered")
    decline(two, "2026-10-21T10:00Z", "No capacity today", by_route="crisis_response")
    decline(two, "2026-10-23T10:00Z", "Needs a bed, not reablement", by_route="reablement")
    three = referral("2026-10-22T09:00Z", route="supervisor_review")
    decline(three, "2026-10-26T09:00Z", "Outside our area", by_route="crisis_response")  # after the week: counted
    old = referral("2026-10-18T09:00Z", route="supervisor_review")                   # received the week before
    decline(old, "2026-10-20T09:00Z", "Not ours", by_route="reablement")
    commit()

    declines = table("flow_declines")
    assert declines.rows == (("crisis_response", CRISIS, 3), ("reablement", "Reablement", 1))
    reasons = table("flow_decline_reasons")
    assert reasons.id.endswith("_reasons") and "supervisors and admins only" in reasons.note
    assert reasons.rows == (
        ("crisis_response", CRISIS, "No capacity today", 2),
        ("crisis_response", CRISIS, "Outside our area", 1),
        ("reablement", "Reablement", "Needs a bed, not reablement", 1),
    )
    # The route filter is the declining route's (the declined referral is on another now).
    assert table("flow_declines", Filters(route="reablement")).rows == (("reablement", "Reablement", 1),)
    assert table("flow_declines", Filters(route="supervisor_review")).rows == ()
    assert "reason" not in [c.key for c in declines.columns]   # coded: fit for managers


def test_supervisor_reviews_by_the_rule_that_sent_them(db):
    for _ in range(2):
        review(referral("2026-10-20T09:00Z"), "under-18")
    review(referral("2026-10-21T09:00Z"), "out-of-area")
    review(referral("2026-10-21T09:00Z"), "vcs-duty", for_want_of_duty=True)
    routed = referral("2026-10-21T09:00Z", route="crisis_response")
    decision(routed, route="crisis_response", rule_id="ucr-condition")    # not sent to a supervisor
    review(referral("2026-10-22T09:00Z"), "since-removed")
    review(referral("2026-10-18T22:59Z"), "under-18")                      # 23:59 BST the Sunday before
    declined = referral("2026-10-22T09:00Z", route="supervisor_review", state="in_review")
    decline(declined, "2026-10-22T10:00Z", "Not ours", by_route="crisis_response")  # back to review: a decline
    commit()

    found = table("flow_reviews")
    assert found.rows == (
        ("under-18", described("under-18"), 2),
        ("out-of-area", described("out-of-area"), 1),
        ("(no organisation on duty)", "The rules chose the voluntary sector, and no organisation on duty "
                                      "could take it.", 1),
        ("since-removed", "No longer in the policy", 1),
    )


def test_overrides_of_the_rules_decision_which_rule_to_which_route(db):
    for _ in range(2):
        r = referral("2026-10-20T09:00Z", route="crisis_response")
        decision(r, route="crisis_response", rule_id="ucr-condition")
        override(r, "2026-10-20T09:30Z", "reablement")
    twice = referral("2026-10-21T09:00Z", route="reablement")
    decision(twice, route="reablement", rule_id="reablement")
    override(twice, "2026-10-21T09:10Z", "home_rehab")
    override(twice, "2026-10-21T09:20Z", "bed_rehab")
    untouched = referral("2026-10-21T09:00Z", route="reablement")
    decision(untouched, route="reablement", rule_id="reablement")
    redirected = referral("2026-10-22T09:00Z", route="crisis_response")
    decision(redirected, route="crisis_response", rule_id="ucr-condition")
    override(redirected, "2026-10-22T09:05Z", "emergency_redirect")         # its event is a redirect
    supervised = referral("2026-10-21T09:00Z", route="crisis_response")    # a supervisor routing a review
    decision(supervised, route="supervisor_review", rule_id="fallback")
    decision(supervised, "supervisor", route="crisis_response")
    commit()

    found = table("flow_overrides")
    assert found.rows == (
        ("ucr-condition", described("ucr-condition"), "crisis_response", CRISIS, "reablement", "Reablement", 2),
        ("ucr-condition", described("ucr-condition"), "crisis_response", CRISIS, "emergency_redirect",
         "Redirect to 999 or ED", 1),
        ("reablement", described("reablement"), "reablement", "Reablement", "home_rehab",
         "Home-based rehabilitation", 1),
        ("reablement", described("reablement"), "reablement", "Reablement", "bed_rehab",
         "Bed-based rehabilitation", 1),
    )  # most first, then in the policy's order of rules and routes
    (headline,) = section().headlines
    assert (headline.id, headline.value, headline.kind) == ("overrides", 5, "count")
    assert headline.detail.startswith("among the 6 referrals received in the period")


def test_filters_narrow_states_reviews_and_overrides(db):
    emas = referral("2026-10-20T09:00Z", source="emas", route="reablement")
    decision(emas, route="crisis_response", rule_id="ucr-condition")
    override(emas, "2026-10-20T09:30Z", "reablement")
    gp = referral("2026-10-20T09:00Z", source="gp")
    review(gp, "under-18")
    decline(gp, "2026-10-21T09:00Z", "Not for us", by_route="crisis_response")
    commit()

    emas_only = Filters(source="emas")
    assert {r[0]: r[2] for r in table("flow_by_state", emas_only).rows if r[2]} == {"triaged": 1}
    assert table("flow_reviews", emas_only).rows == ()
    assert [r[-1] for r in table("flow_overrides", emas_only).rows] == [1]
    assert table("flow_declines", emas_only).rows == ()
    assert table("flow_overrides", Filters(route="crisis_response")).rows == ()
    assert [r[0] for r in table("flow_reviews", Filters(route="supervisor_review", source="gp")).rows] == ["under-18"]
    assert table("flow_declines", Filters(source="gp", route="crisis_response")).rows == (
        ("crisis_response", CRISIS, 1),)
