"""The routing policy the app runs with: loaded once per process at start, so a
bad rule file stops the app starting rather than failing mid-triage."""
from dataclasses import asdict
from pathlib import Path

from flask import current_app

from rules.engine import Policy, load_policy

from .clocks import WorkingHours


def init_app(app) -> None:
    directory = app.config.get("RULES_DIR")
    policy = load_policy(Path(directory) if directory else None)
    app.extensions["spoa_policy"] = policy
    # rules/ holds the configured hours as plain values; spoa.clocks turns them
    # into the calendar that does the arithmetic (bank holidays, clock changes).
    app.extensions["spoa_working_hours"] = WorkingHours(**asdict(policy.working_hours))


def current_policy() -> Policy:
    return current_app.extensions["spoa_policy"]


def current_working_hours() -> WorkingHours:
    return current_app.extensions["spoa_working_hours"]
