"""Moving through a page by keyboard alone, as the journey tests do: each helper
presses keys (never clicks), so a field it reaches is reachable in the page's order."""


def focused(page) -> str:
    """The focused element: its id, or name=value for radios and checkboxes (and
    "=" for a button with neither)."""
    return page.evaluate("document.activeElement.id"
                         " || document.activeElement.name + '=' + document.activeElement.value")


def tab_to(page, target: str, limit: int = 120) -> None:
    """Press Tab until ``target`` (an id, or name=value for radios and checkboxes) has
    the focus: proves it is reachable by keyboard, in the page's order."""
    for _ in range(limit):
        if focused(page) == target:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} was not reached by Tab (stuck at {focused(page)})")


def type_into(page, field_id: str, text: str) -> None:
    tab_to(page, field_id)
    page.keyboard.type(text)


def choose(page, name: str, value: str, limit: int = 8) -> None:
    """Tab into a radio group (the focus lands on its checked radio) and move with the
    arrow keys, which check as they go, to ``value``."""
    for _ in range(120):
        if focused(page).startswith(name + "="):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError(f"radio group {name} was not reached by Tab (stuck at {focused(page)})")
    for _ in range(limit):
        if focused(page) == f"{name}={value}":
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{name}={value} was not reached by the arrow keys (stuck at {focused(page)})")
