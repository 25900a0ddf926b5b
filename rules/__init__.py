"""SPOA's rules engine: referral facts in, a routing decision out.

The policy itself is data (``rules/policy/*.yaml``) so a clinical lead can
read and change it; ``rules/scenarios/`` pins each row with a worked case.
This package never imports ``spoa``: scenario tests need no Flask and no
database.

calendar.py      UK time, working hours, bank holidays, deadlines (the end of a UK day too), ages, ISO weekdays
facts.py         the facts the rules read, derived from one referral
digits.py        numbers in the ASCII digits 0-9: the one test, for the policy's files and every input of spoa
clock_policy.py  clocks.yaml: routes, clock targets (community and discharge), chasing, working hours
discharge_policy.py  discharge.yaml: delay reasons, the daily delay alert's time
loader.py        reads and checks rules/policy/*.yaml into a Policy
policy_model.py  the loaded Policy: rules and flags (one kind of entry), decide()
expressions.py, compiler.py  `when` typing, probing and the fast path
scenario_runner.py  rules/scenarios/*.yaml, the worked cases that pin the policy
"""
