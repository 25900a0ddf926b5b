"""Disclosure control (spoa/reports/disclosure.py): the small-number rule, exactly,
and the coarsening ladder's rungs."""
from datetime import datetime

import pytest

from spoa.reports.disclosure import LADDER, Groups, Identifying, coarsened, suppressed


@pytest.mark.parametrize("count,shown", [
    (0, 0), *((n, "*") for n in range(1, 8)), (8, 10), (9, 10), (10, 10), (12, 10), (13, 15), (15, 15), (17, 15),
    (18, 20), (22, 20), (23, 25), (100, 100), (102, 100), (103, 105), (1234, 1235),
])
def test_counts_of_one_to_seven_are_hidden_and_the_rest_rounded_to_five(count, shown):
    assert suppressed(count) == shown


ROW = Identifying(datetime(2026, 11, 24, 14, 35), "75 to 84", "male", "NN12", "emas")


def test_each_rung_says_less_than_the_one_before():
    assert [coarsened(rung, ROW) for rung in LADDER] == [
        ("2026-11-24", "14", "75 to 84", "male", "NN12", "emas"),
        ("2026-11-24", "12-15", "75 to 84", "male", "NN12", "emas"),
        ("2026-11-24", None, "75 to 84", "male", "NN12", "emas"),
        ("2026-W48", None, "75 to 84", "male", "NN12", "emas"),
        ("2026-W48", None, "65 and over", "male", "NN12", "emas"),
        ("2026-W48", None, "65 and over", "male", "NN", "emas"),
        ("2026-11", None, "65 and over", "male", "NN", "emas"),
        ("2026-11", None, "65 and over", "male", None, "emas"),
    ]
    assert coarsened(LADDER[5], Identifying(datetime(2026, 1, 1, 0, 0), None, None, "E1", None))[4] == "E"


def test_the_first_rung_that_leaves_out_few_enough_is_chosen_and_the_rest_left_out():
    groups = Groups()
    for minute in range(40):  # 40 alike but for the hour: together once the time goes
        groups.add(Identifying(datetime(2026, 11, 24, minute % 24, 0), "18 to 64", "female", "NN1", "gp"))
    groups.add(Identifying(datetime(2026, 11, 24, 3, 0), "85 and over", "male", "PE9", "care_home"))
    choice = groups.choose(5)
    assert choice.rung.name == "day" and (choice.kept, choice.left_out) == (40, 1)  # 1 of 41 is under 5%
    assert not choice.keeps(Identifying(datetime(2026, 11, 24, 3, 0), "85 and over", "male", "PE9", "care_home"))
    assert choice.keeps(Identifying(datetime(2026, 11, 24, 23, 59), "18 to 64", "female", "NN1", "gp"))


def test_the_counts_summed_from_the_finest_rung_are_those_of_each_rung_counted_directly():
    import random
    from collections import Counter

    rng = random.Random(7)
    rows = [Identifying(datetime(2026, rng.randint(1, 3), rng.randint(1, 28), rng.randint(0, 23)),
                        rng.choice(["0 to 17", "18 to 64", "65 to 74", "75 to 84", "85 and over", None]),
                        rng.choice(["female", "male", None]), rng.choice(["NN1", "NN12", "PE9", "E1", None]),
                        rng.choice(["emas", "gp"])) for _ in range(3000)]
    groups = Groups()
    for q in rows:
        groups.add(q)
    for rung in LADDER:
        counts, direct = groups.counts(rung), Counter(coarsened(rung, q) for q in rows)
        assert len(counts) == len(direct), rung
        assert all(counts[groups.key(rung, q)] == direct[coarsened(rung, q)] for q in rows), rung
    for k in (2, 5, 20, 60, 10_000):
        choice = groups.choose(k)
        direct = Counter(coarsened(choice.rung, q) for q in rows)
        kept = sum(n for n in direct.values() if n >= k)
        assert (choice.kept, choice.left_out) == (kept, len(rows) - kept), (k, choice.rung)
        assert all(choice.keeps(q) == (direct[coarsened(choice.rung, q)] >= k) for q in rows)
