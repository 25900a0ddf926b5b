"""A replay as people read it: the changed list's columns (one definition, for the
CSV the CLI writes and the page serves, and the page's table), and the CLI's text."""
from collections.abc import Iterable, Iterator

from spoa.platform.timekeeping import format_uk
from spoa.replay.run import Change, Result
from spoa.reports import downloads

# (heading, the value of a Change): the CSV's columns, in order.
COLUMNS = (
    ("SPOA reference", lambda c: c.reference),
    ("Received (UK time)", lambda c: format_uk(c.received_at)),
    ("Route before", lambda c: c.old_route),
    ("Urgency before", lambda c: c.old_urgency),
    ("Rule before", lambda c: c.old_rule),
    ("Explanation before", lambda c: c.old_explanation),
    ("Route after", lambda c: c.new_route),
    ("Urgency after", lambda c: c.new_urgency),
    ("Rule after", lambda c: c.new_rule),
    ("Explanation after", lambda c: c.new_explanation),
    ("Facts", lambda c: "re-derived (decided before facts were stored)" if c.rederived else "as stored"),
)


def csv_lines(changes: Iterable[Change]) -> Iterator[str]:
    """The changed list as CSV (header first), streamed by the reports' one CSV
    writer: formulas defused as in every download."""
    return downloads.lines([heading for heading, _ in COLUMNS],
                           ([value(change) for _, value in COLUMNS] for change in changes))


def earlier_versions(result: Result, running: str) -> list[tuple[str, int]]:
    """The policy versions the replayed decisions were made by, when any is not the one
    running now: a change listed may then be an earlier edit's, not only the candidate's."""
    versions = result.tally.versions
    return versions.most_common() if set(versions) - {running} else []


def summary_lines(result: Result, described: str, route_names: dict[str, str], running: str) -> list[str]:
    """What a replay found, in sentences (the CLI's text; the page says the same)."""
    t = result.tally
    lines = [f"Replay of {described} (version {result.version})",
             f"against the referrals received {result.period.label()} (UK days).",
             "",
             f"Referrals received: {t.received}",
             f"Rules decisions replayed: {t.replayed}"
             + (f" ({t.rederived} on facts re-derived: decided before SPOA stored every fact)" if t.rederived else ""),
             f"Would change route: {t.route_changed}",
             f"Would change urgency: {t.urgency_changed}",
             f"Same route and urgency, by another rule: {t.rule_only}"]
    if t.received > t.replayed + t.failed:
        lines.append(f"Received with no rules decision (not replayed): {t.received - t.replayed - t.failed}")
    if t.failed:
        lines.append(f"Could not be decided by the candidate: {t.failed}")
        lines.extend(f"  {reference}: {message}" for reference, message in t.failures)
    earlier = earlier_versions(result, running)
    if earlier:
        made = ", ".join(f"{version} ({n})" for version, n in earlier)
        lines.append(f"Decided by policy versions {made}; {running} runs now, so a change may be an earlier "
                     "edit's, not only the candidate's")
    lines.append("")
    if result.move_rows:
        lines.append("From route -> to route: referrals")
        for before, after, n in result.move_rows:
            lines.append(f"  {route_names.get(before, before)} -> {route_names.get(after, after)}: {n}")
    else:
        lines.append("No referral would change route.")
    return lines


def text_lines(result: Result, described: str, route_names: dict[str, str], running: str) -> Iterator[str]:
    yield from summary_lines(result, described, route_names, running)
    if not result.changes:
        return
    yield ""
    yield f"Changed referrals ({result.tally.changed}):"
    for c in result.changes:
        yield ""
        yield f"{c.reference}, received {format_uk(c.received_at)}" + (" (facts re-derived)" if c.rederived else "")
        yield f"  before: {c.old_route} ({c.old_urgency}), rule {c.old_rule}: {c.old_explanation}"
        yield f"  after:  {c.new_route} ({c.new_urgency}), rule {c.new_rule}: {c.new_explanation}"
