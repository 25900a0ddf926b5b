"""The words a report shows for the codes it groups by: a route's name from the
loaded policy, a source's from the intake vocabulary, anything else its code in
plain words. Every table keeps the code beside the words, so a CSV can be joined
to other data while a person reads the name."""
from spoa.domain import vocab
from spoa.domain.policy import current_policy

NOT_ROUTED = "Not routed yet"


def route_name(code: str | None) -> str:
    if code is None:
        return NOT_ROUTED
    info = current_policy().routes.get(code)
    return info.name if info else words(code)  # a route since removed from the policy


def route_order(code: str | None) -> tuple:
    """The policy's order of routes (clocks.yaml), routes it no longer has after them."""
    routes = list(current_policy().routes)
    return (routes.index(code), "") if code in routes else (len(routes), code or "")


def source_name(code: str) -> str:
    return vocab.SOURCES.get(code, words(code))


def source_order(code: str) -> tuple:
    sources = list(vocab.SOURCES)
    return (sources.index(code), "") if code in sources else (len(sources), code)


def words(code: str | None) -> str:
    """A code as a person reads it: in_review -> In review."""
    return (code or "").replace("_", " ").capitalize()
