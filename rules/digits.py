"""Numbers as written in the ASCII digits 0-9: the one test, for every input that
carries one (a page number, a version, a box on a form, an NHS number, a Pathways
Dx code, a duration in clocks.yaml, a setting, a path's id).

Not str.isdigit() and not ``\\d``: both take other scripts' digits, so "٩٤٣٤٧٦٥٩١٩"
would be an NHS number no duplicate check finds and int() reads "٣" as 3; isdigit()
also takes "²", which int() then refuses with a ValueError nobody expected. And
not int() alone: it takes " 3\\n", "+3", "3_000", and refuses thousands of digits.
Here in rules/ (stdlib only) because the policy's files are read with it too.
"""

# For the places that must say it as a pattern (a URL converter): the same digits.
DIGIT = "[0-9]"


def is_ascii_digits(text, *, least: int = 1, most: int = 18) -> bool:
    """True if ``text`` is a str of ``least`` to ``most`` characters, each 0-9."""
    return isinstance(text, str) and least <= len(text) <= most and text.isascii() and text.isdigit()


def ascii_int(text, *, most: int = 18, signed: bool = False) -> int | None:
    """The int ``text`` writes in 0-9 (one leading "-" if ``signed``), at most ``most``
    digits (18: far inside int()'s 4,300-digit limit); None for anything else."""
    if not isinstance(text, str):
        return None
    digits = text[1:] if signed and text.startswith("-") else text
    return int(text) if is_ascii_digits(digits, most=most) else None
