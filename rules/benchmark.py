"""How many decisions a second one core makes: `python -m rules.benchmark`.

decide() has a target of 20,000 a second for typical facts. The figures
printed are for facts decided at row 8 (the commonest referral, a 2-hour
need), at row 16 and at the fallback (every rule evaluated), with and without
deriving the facts from the referral first, and through rule-engine alone
(what the fast path in compiler.py saves).
"""
import time
from datetime import date, datetime, timezone

from .engine import load_policy
from .facts import derive_facts

RECEIVED = datetime(2026, 11, 22, 9, 41, tzinfo=timezone.utc)


def referral(need: str) -> dict:
    return {
        "source": "emas", "emas_category": 4, "presenting_need": need, "red_flags": [],
        "patient": {"date_of_birth": date(1938, 3, 14), "postcode": "NN1 5BD"},
        "observations": {"news2": 2, "clinical_frailty_scale": 6},
        "mental_health": {"risk": "none", "suicidal_ideation": False},
        "function": {"medically_stable": True, "rehab_potential": True, "needs_overnight_care": False},
        "consent": True,
    }


def rate(function, seconds: float = 1.0) -> float:
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(500):
            function()
        count += 500
    return count / elapsed


def main() -> None:
    policy = load_policy()
    print(f"policy {policy.version}, {len(policy.rules)} rules")
    for need in ("fall_no_injury", "social_support", "other"):
        facts = derive_facts(referral(need), received_at=RECEIVED)
        decision = policy.decide(facts)
        thing = {**facts, **policy.lists}

        def rule_engine_only():
            next(rule for rule in policy.rules if rule.compiled.matches(thing))

        print(
            f"row {decision.row:>2} {decision.rule_id:<14}"
            f" decide {rate(lambda: policy.decide(facts)):>9,.0f}/s"
            f"  derive+decide {rate(lambda: policy.decide(derive_facts(referral(need), received_at=RECEIVED))):>9,.0f}/s"
            f"  rule-engine alone {rate(rule_engine_only):>7,.0f}/s"
        )


if __name__ == "__main__":
    main()
