"""The routes and urgencies the app names (Policy.review_route, redirect_route,
duty_route, urgencies) are the ones the shipped policy declares."""
from rules.loader import load_policy

POLICY = load_policy()


def test_the_named_routes_are_declared_in_clocks_yaml_with_their_kind():
    routes = POLICY.routes
    assert not routes[POLICY.review_route].is_service  # SPOA's own: a person sets the route
    assert not routes[POLICY.redirect_route].is_service  # 999 or ED: no service takes it
    assert routes[POLICY.duty_route].is_service and POLICY.duty_route in POLICY.services


def test_every_named_route_runs_a_triage_clock_at_every_urgency():
    for route in (POLICY.review_route, POLICY.redirect_route, POLICY.duty_route):
        for urgency in POLICY.urgencies:
            assert "triage" in [t.name for t in POLICY.clock_targets(route, urgency)]


def test_the_urgencies_run_most_urgent_first_and_every_rule_uses_one():
    assert POLICY.urgencies == ("emergency", "urgent", "routine")
    assert {rule.urgency for rule in POLICY.rules} <= set(POLICY.urgencies)
