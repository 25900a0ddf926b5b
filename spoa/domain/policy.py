"""The routing policy the app runs with: loaded once per process at start, so a
bad rule file stops the app starting rather than failing mid-triage."""
from pathlib import Path

from flask import current_app

from rules.loader import load_policy
from rules.policy_model import Policy
from spoa.platform.timekeeping import WorkingHours


def init_app(app) -> None:
    directory = app.config.get("RULES_DIR")
    app.extensions["spoa_policy"] = load_policy(Path(directory) if directory else None)


def current_policy() -> Policy:
    return current_app.extensions["spoa_policy"]


def current_working_hours() -> WorkingHours:
    """clocks.yaml's working hours: the calendar (rules.calendar.WorkingHours) the deadlines count in."""
    return current_policy().working_hours
