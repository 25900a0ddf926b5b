"""Flow: where the referrals received in the period stand now, the declines and
their reasons, the referrals the rules sent to a supervisor (by rule), and the
supervisors' overrides of the rules' decision.

Everything counts referrals received in the period (COMMON14's definition): a
decline or override made this week of a referral received last week is in last
week's figures. Events and decisions of those referrals happen at or after the
period's start: that bound lets the (event, at) index, and one on the decisions'
(kind, created_at), find a short period's without reading them all.
"""
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from spoa.domain import labels
from spoa.domain.lifecycle import STATES
from spoa.domain.period import Filters, Period
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import AuditEvent, Referral, TriageDecision
from spoa.reports.received import received_in
from spoa.reports.table import Chart, Column, Headline, Section, Table

ROUTE, ROUTE_NAME = Column("route", "Route code", "text"), Column("route_name", "Route", "text")
RULE, RULE_DESCRIPTION = Column("rule_id", "Rule", "text"), Column("rule", "What the rule says", "text")
# The duty rota, not a rule, sent it: the rules chose the voluntary sector and no organisation could take it.
NO_DUTY = "(no organisation on duty)"


# The tables section() builds, in its order: sections.table finds a CSV's section by these.
TABLES = ("flow_by_state", "flow_declines", "flow_decline_reasons", "flow_reviews", "flow_overrides")


def section(period: Period, filters: Filters) -> Section:
    states = by_state(period, filters)
    declined = _declines(period, filters)
    overridden = _overrides(period, filters)
    received = sum(states.values("referrals"))
    count = sum(overridden.values())
    return Section(id="flow", title="Flow", tables=(
        states, declines_by_route(declined), decline_reasons(declined),
        reviews(period, filters), overrides(overridden),
    ), headlines=(Headline(
        id="overrides", label="Overrides of the rules' decision", value=count, kind="count",
        detail=f"among the {received} referral{'' if received == 1 else 's'} received in the period "
               "(a referral overridden twice counts twice)"),))


def by_state(period: Period, filters: Filters) -> Table:
    query = (select(Referral.state, func.count()).where(*received_in(period, filters))
             .group_by(Referral.state))
    found = dict(db.session.execute(query).all())
    states = list(STATES) + sorted(set(found) - set(STATES))
    return Table(
        id="flow_by_state", title="Referrals by state now",
        columns=(Column("state", "State code", "text"), Column("state_name", "State", "text"),
                 Column("referrals", "Referrals")),
        rows=tuple((state, labels.words(state), int(found.get(state, 0))) for state in states),
        chart=Chart("bar", "state_name", ("referrals",), title="Referrals by state now"),
        note="Referrals received in the period, by the state each is in now.")


def _declines(period: Period, filters: Filters) -> Counter:
    """(route that declined, reason) -> declines of referrals received in the period.
    The route is the one the referral was on when declined (the event's own record:
    a declined referral goes to a supervisor, so its route now is never the one that
    declined it); the route filter narrows to that route."""
    declined_by = AuditEvent.detail["service"].as_string().label("declined_by")
    query = (select(declined_by, AuditEvent.reason, func.count())
             .select_from(AuditEvent).join(Referral, Referral.id == AuditEvent.referral_id)
             .where(AuditEvent.event == "decline", AuditEvent.at >= period.start,
                    *received_in(period, filters, route=False))
             .group_by(declined_by, AuditEvent.reason))
    if filters.route:
        query = query.where(declined_by == filters.route)
    return Counter({(route, reason): n for route, reason, n in db.session.execute(query)})


_DECLINE_NOTE = ("Declines of referrals received in the period, under the route that declined each "
                 "(a route filter narrows to that route).")


def declines_by_route(declined: Counter) -> Table:
    per_route = Counter()
    for (route, _), n in declined.items():
        per_route[route] += n
    return Table(
        id="flow_declines", title="Declines, by route", columns=(ROUTE, ROUTE_NAME, Column("declines", "Declines")),
        rows=tuple((route, labels.route_name(route), per_route[route])
                   for route in sorted(per_route, key=labels.route_order)),
        chart=Chart("bar", "route_name", ("declines",), title="Declines by route"), note=_DECLINE_NOTE)


def decline_reasons(declined: Counter) -> Table:
    rows = sorted(declined.items(), key=lambda item: (labels.route_order(item[0][0]), -item[1], item[0][1] or ""))
    return Table(
        id="flow_decline_reasons", title="Declines with their reasons",
        columns=(ROUTE, ROUTE_NAME, Column("reason", "Reason given", "text"), Column("declines", "Declines")),
        rows=tuple((route, labels.route_name(route), reason, n) for (route, reason), n in rows),
        note=_DECLINE_NOTE + " The reasons are as staff typed them and may name a patient: "
                             "for supervisors and admins only.")


def reviews(period: Period, filters: Filters) -> Table:
    """Referrals the rules sent to a supervisor, by the rule that sent them, and those
    the duty rota sent (the rules chose the voluntary sector; no organisation could take
    it). From the review events (triage.py writes one for each, naming the rule), which
    the (event, at) index finds without reading every decision."""
    rule_id = AuditEvent.detail["rule_id"].as_string().label("rule_id")
    for_want_of_duty = AuditEvent.detail["duty"].as_string().isnot(None).label("for_want_of_duty")
    query = (select(rule_id, for_want_of_duty, func.count())
             .select_from(AuditEvent).join(Referral, Referral.id == AuditEvent.referral_id)
             .where(AuditEvent.event == "review", AuditEvent.at >= period.start, *received_in(period, filters))
             .group_by(rule_id, for_want_of_duty))
    found = Counter()
    for rule, duty, n in db.session.execute(query):
        found[NO_DUTY if duty else rule] += n
    rows = tuple((rule, _rule_description(rule), found[rule]) for rule in sorted(found, key=_rule_order))
    return Table(
        id="flow_reviews", title="Sent to a supervisor, by the rule that sent them",
        columns=(RULE, RULE_DESCRIPTION, Column("referrals", "Referrals")),
        rows=rows, chart=Chart("bar", "rule_id", ("referrals",), title="Sent to a supervisor, by rule"),
        note=("Referrals received in the period that the rules sent to a supervisor to route, by the rule "
              "that decided it (its description from the policy loaded now), and those the rules sent to the "
              "voluntary sector when no organisation on duty could take them. A route filter counts the "
              "referrals on that route now."))


def _overrides(period: Period, filters: Filters) -> Counter:
    """(the rules' rule, the rules' route, the override's route) -> overrides. The rules'
    decision is each referral's latest of kind rules (Referral.rules_decision), looked up
    for each override by its referral's index rather than by joining every decision."""
    override, rules = aliased(TriageDecision), aliased(TriageDecision)

    def of_the_rules(column):
        return (select(column).where(rules.referral_id == override.referral_id, rules.kind == "rules")
                .order_by(rules.id.desc()).limit(1).correlate(override).scalar_subquery())

    overridden = (select(of_the_rules(rules.rule_id).label("rule_id"), of_the_rules(rules.route).label("was"),
                         override.route.label("to"))
                  .join(Referral, Referral.id == override.referral_id)
                  .where(override.kind == "override", override.created_at >= period.start,
                         *received_in(period, filters))
                  .subquery())
    query = (select(overridden.c.rule_id, overridden.c.was, overridden.c.to, func.count())
             .group_by(overridden.c.rule_id, overridden.c.was, overridden.c.to))
    return Counter({(rule_id, was, to): n for rule_id, was, to, n in db.session.execute(query)})


def overrides(overridden: Counter) -> Table:
    rows = sorted(overridden.items(), key=lambda item: (-item[1], _rule_order(item[0][0]),
                                                        labels.route_order(item[0][2])))
    return Table(
        id="flow_overrides", title="Overrides of the rules' decision",
        columns=(RULE, RULE_DESCRIPTION, Column("rules_route", "Rules' route code", "text"),
                 Column("rules_route_name", "The rules' route", "text"),
                 Column("override_route", "Overridden to (code)", "text"),
                 Column("override_route_name", "Overridden to", "text"), Column("overrides", "Overrides")),
        rows=tuple((rule_id, _rule_description(rule_id), was, labels.route_name(was), to, labels.route_name(to), n)
                   for (rule_id, was, to), n in rows),
        note=("A supervisor's overrides of referrals received in the period: the rule whose decision was "
              "overridden, the route it chose, and the route the supervisor set. A referral overridden twice "
              "counts twice; a route filter counts the referrals on that route now."))


def _rule_description(rule_id: str | None) -> str:
    if rule_id == NO_DUTY:
        return "The rules chose the voluntary sector, and no organisation on duty could take it."
    rule = next((r for r in current_policy().rules if r.id == rule_id), None)
    if rule is None:
        return "No rules decision recorded" if rule_id is None else "No longer in the policy"
    return rule.description


def _rule_order(rule_id: str | None) -> tuple:
    ids = [rule.id for rule in current_policy().rules]
    return (ids.index(rule_id), "") if rule_id in ids else (len(ids), rule_id or "")
