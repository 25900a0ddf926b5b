"""Counters read from the database whose cost is what arrived lately, not the years.

A tally counts rows of a table whose counted rows never change once written
(triage decisions, clock effects, delivery attempts; and clocks once they can
no longer be met), by their integer primary key. Redis keeps, for the whole
cluster, the counts of every row up to an id (``upto``); a scrape adds the rows
above it (a primary-key range: the last minute or two of them). About once a
minute one scraper, holding a lock, folds the rows up to the highest id it saw
at the previous fold into the stored counts: those ids were handed out a minute
ago or more, so the transactions that took them have committed (intake's and
the chaser's take milliseconds) and no row below ``upto`` can still appear.

After Redis loses its memory (a flush, a restart) the first two folds count the
whole table once each; then back to a minute's rows. Without Redis at all each
scrape counts the whole table (Redis being down is already an incident, and
spoa_metrics_source_up says so).
"""
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import redis as redis_lib

FOLD_EVERY_SECONDS = 60
KEY = "spoa:metrics:tally:{}"


@dataclass(frozen=True)
class Tally:
    name: str
    # counts(lo, hi): {labels: n} over rows with lo < id <= hi (hi None: no upper bound)
    counts: Callable[[int, int | None], dict]
    newest: Callable[[], int]  # the highest id now (0 when empty)
    # The highest id below which no counted row can change any more (None: every
    # row is final as written); folding never passes it.
    settled: Callable[[], int] | None = None


def _load(redis, tally: Tally) -> dict:
    raw = redis.get(KEY.format(tally.name))
    if raw:
        state = json.loads(raw)
        state["counts"] = Counter({tuple(row[:-1]): row[-1] for row in state["counts"]})
        return state
    return {"upto": 0, "seen": 0, "at": 0.0, "counts": Counter()}


def _save(redis, tally: Tally, state: dict) -> None:
    rows = [[*labels, n] for labels, n in state["counts"].items()]
    redis.set(KEY.format(tally.name), json.dumps({**state, "counts": rows}))


def _fold(redis, tally: Tally) -> None:
    lock = KEY.format(tally.name) + ":lock"
    if not redis.set(lock, "1", nx=True, ex=30):
        return  # another scraper is folding
    try:
        state = _load(redis, tally)  # afresh: another may have folded since this scrape read it
        if time.time() - state["at"] < FOLD_EVERY_SECONDS:
            return
        upto = state["seen"]
        if tally.settled is not None:
            upto = min(upto, tally.settled())
        if upto > state["upto"]:
            state["counts"].update(tally.counts(state["upto"], upto))
            state["upto"] = upto
        state["seen"], state["at"] = tally.newest(), time.time()
        _save(redis, tally, state)
    finally:
        redis.delete(lock)


def read(tally: Tally, redis) -> Counter:
    """Every counted row's labels and how many, as of now."""
    if redis is None:
        return Counter(tally.counts(0, None))
    try:
        state = _load(redis, tally)
    except redis_lib.RedisError:
        return Counter(tally.counts(0, None))
    total = state["counts"] + Counter(tally.counts(state["upto"], None))
    if time.time() - state["at"] >= FOLD_EVERY_SECONDS:
        try:
            _fold(redis, tally)
        except redis_lib.RedisError:
            pass  # counted already; the next scrape folds
    return total
