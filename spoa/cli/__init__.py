"""Command-line tools: `flask --app wsgi spoa ...` and `flask --app wsgi rules ...`.

The create-* commands print the new token alone on the last line of stdout:
outside scripts read it from there.
"""
from flask.cli import AppGroup

spoa_cli = AppGroup("spoa", help="Administer SPOA: users, API clients, demo data.")
rules_cli = AppGroup("rules", help="Check and test the routing policy in rules/.")


def register_cli(app) -> None:
    app.cli.add_command(spoa_cli)
    app.cli.add_command(rules_cli)


# The commands register on their groups as their modules load.
from spoa.cli import admin, demo, endpoints, rota, rules  # noqa: E402,F401
