"""SPOA's rules engine: referral facts in, a routing decision out.

The policy itself is data (``rules/policy/*.yaml``) so a clinical lead can
read and change it; ``rules/scenarios/`` pins each row with a worked case.
This package never imports ``spoa``: scenario tests need no Flask and no
database.
"""
