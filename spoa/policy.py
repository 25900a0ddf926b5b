"""The routing policy the app runs with: loaded once per process at start, so a
bad rule file stops the app starting rather than failing mid-triage."""
from pathlib import Path

from flask import current_app

from rules.engine import Policy, load_policy


def init_app(app) -> None:
    directory = app.config.get("RULES_DIR")
    app.extensions["spoa_policy"] = load_policy(Path(directory) if directory else None)


def current_policy() -> Policy:
    return current_app.extensions["spoa_policy"]
