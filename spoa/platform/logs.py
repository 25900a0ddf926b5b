"""How log lines are written: JSON lines (one object a line, for a log shipper)
or text (a person at a terminal), chosen by LOG_FORMAT (spoa/config.py).

Every line written by our handler carries the ids in hand (request_id, job_id,
referral_id: spoa/platform/safe_log.py) and passes the redaction net first.
"""
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from spoa.platform.safe_log import CONTEXT_IDS, ContextIds, Redact

FORMATS = ("json", "text")


class TextFormatter(logging.Formatter):
    """``time LEVEL logger message [request_id=... referral_id=...]``"""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record):
        line = super().format(record)
        ids = " ".join(f"{name}={getattr(record, name)}" for name in CONTEXT_IDS if hasattr(record, name))
        if not ids:
            return line
        first, newline, rest = line.partition("\n")  # after the message, before a traceback
        return f"{first} [{ids}]{newline}{rest}"


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        # {"timestamp": ISO UTC, "level", "logger", "message", ids..., "exc_info"?}
        return JsonFormatter("%(levelname)s %(name)s %(message)s", timestamp=True,
                             rename_fields={"levelname": "level", "name": "logger"})
    return TextFormatter()


def handler(fmt: str, stream=None) -> logging.Handler:
    made = logging.StreamHandler(stream or sys.stderr)
    made.setFormatter(formatter(fmt))
    made.addFilter(Redact())
    made.addFilter(ContextIds())
    made.spoa = True  # ours: configure() replaces it rather than adding another
    return made


def configure(fmt: str) -> None:
    """Our handler on the root logger, in ``fmt``: replacing ours if an earlier app
    put one there; beside none if the process already logs elsewhere (a test
    runner's capture, an embedding server), as logging.basicConfig would."""
    if fmt not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}")
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "spoa", False)]
    for old in ours:
        root.removeHandler(old)
    if ours or not root.handlers:
        root.addHandler(handler(fmt))
        root.setLevel(logging.INFO)
    # transitions logs every transition at INFO; our audit rows already say it.
    logging.getLogger("transitions").setLevel(logging.WARNING)
