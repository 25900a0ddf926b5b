"""Accounts and API clients: `flask --app wsgi spoa create-user ...`; keys and retention."""
import sys

import click
from sqlalchemy import select

from spoa.cli import spoa_cli
from spoa.cli.common import Given, fail, listed, submit
from spoa.extensions import db
from spoa.models import User
from spoa.models.user import ROLES, username_key


@spoa_cli.command("create-api-client")
@click.option("--name", required=True)
@click.option("--sources", help="Comma-separated sources it may post as, e.g. emas,nhs111.")
@click.option("--service",
              help="The service whose own system this is (a route id, or a voluntary organisation's code).")
@click.option("--hospital", "hospital_ods",
              help="A hospital's own system: its ODS code, e.g. RNS01 (it reads its hospital's discharges; "
                   "sources acute and community_hospital only).")
@click.option("--rate", "rate_limit_per_minute", type=int,
              help="Requests a minute (default from API_RATE_LIMIT_PER_MINUTE).")
@click.option("--callback-url", help="Where the sending system is told its referrals' outcomes (signed webhooks).")
@click.option("--scopes", help="Comma-separated: what else it may read. status: the coordination centre's "
                               "feed, GET /api/v1/status (today's figures, no patient data).")
def create_api_client(name, sources, service, hospital_ods, rate_limit_per_minute, callback_url, scopes):
    """Create an API client and print its token (shown once, stored hashed); with a
    callback URL, its webhook signing secret first (shown once, stored sealed)."""
    from spoa.schemas.api_clients import NewApiClientSchema
    from spoa.services import api_clients

    client, token, secret = submit(
        NewApiClientSchema(), lambda data: api_clients.create_api_client(**data, by=None),
        name=name, sources=listed(sources), service=service, hospital_ods=hospital_ods,
        rate_limit_per_minute=rate_limit_per_minute, callback_url=callback_url, scopes=listed(scopes))
    click.echo(f"Created API client {name} (id {client.id}). Keep what follows; it is not shown again.")
    if secret:
        click.echo(f"webhook secret: {secret}")
    click.echo("Token:")
    click.echo(token)


@spoa_cli.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--service", help="A clinician's service (a route id, or a voluntary organisation's code).")
@click.option("--hospital", "hospital_ods", help="A ward user's hospital: its ODS code, e.g. RNS01.")
@click.option("--team-lead", "team_lead", is_flag=True,
              help="A team lead edits a duty rota: a clinician their service's, a supervisor the SPOA's duties.")
def create_user(username, role, service, hospital_ods, team_lead):
    """Create a staff user; the password is read from standard input."""
    from spoa.schemas.users import NewUserSchema
    from spoa.services import users

    given = {"username": username, "role": role, "service": service, "hospital_ods": hospital_ods,
             "team_lead": team_lead}
    submit(NewUserSchema(partial=("password",)), lambda _: None, **given)  # the options' mistakes: before stdin
    password = sys.stdin.readline().rstrip("\r\n")
    user = submit(NewUserSchema(), lambda data: users.create_user(**data, by=None), **given, password=password)
    at = f" at {user.hospital_ods}" if user.hospital_ods else ""
    click.echo(f"Created {role} {username}{at} (id {user.id}).")


@spoa_cli.command("add-voluntary-org")
@click.option("--code", required=True, help="Lower-case letters, digits and _, e.g. good_neighbours.")
@click.option("--name", required=True)
@click.option("--duty-days", required=True, help="Comma-separated days it is on duty, e.g. mon,tue,wed,thu,fri.")
def add_voluntary_org(code, name, duty_days):
    """Add a voluntary organisation to the duty rota (it declares its capacity each day it is on duty)."""
    from spoa.platform.timekeeping import days_in_words
    from spoa.schemas.services import NewVoluntaryOrgSchema
    from spoa.services import service_setup

    org = submit(NewVoluntaryOrgSchema(), lambda data: service_setup.create_voluntary_org(**data, by=None),
                  code=code, name=name, duty_days=listed(duty_days))
    click.echo(f"Added voluntary organisation {org.name} ({org.code}), on duty: {days_in_words(org.duty_days)}.")


@spoa_cli.command("unlock-user")
@click.option("--username", required=True)
def unlock_user(username):
    """Unlock an account locked after failed sign-ins (recorded in the audit)."""
    from spoa.services.accounts import unlock
    from spoa.services.admin_change import CLI_ACTOR

    user = db.session.scalar(select(User).where(User.username == username_key(username)))
    if user is None:
        fail(f"no user named {username!r}.")
    unlock(user, by=CLI_ACTOR)
    click.echo(f"Unlocked {username}.")


def _user_named(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username_key(username)))
    if user is None:
        fail(f"no user named {username!r}.")
    return user


@spoa_cli.command("set-team-lead")
@click.option("--username", required=True)
@click.option("--off", is_flag=True, help="No longer a team lead.")
def set_team_lead(username, off):
    """Make a clinician or supervisor a team lead (they edit their part of the duty rota), or not (--off)."""
    from spoa.services import users

    user = _user_named(username)
    submit(Given(), lambda _: users.set_team_lead(user, not off, by=None))
    click.echo(f"{user.username} is {'no longer' if off else 'now'} a team lead.")


@spoa_cli.command("reseal")
def reseal():
    """Seal every stored webhook signing secret under the current key (the first of
    SEAL_KEYS): run after putting a new key first, before dropping the old one."""
    from spoa.services.api_clients import reseal_webhook_secrets

    counts = reseal_webhook_secrets()
    click.echo(f"{counts['resealed']} resealed under the current key, {counts['current']} already were, "
               f"{counts['unreadable']} unreadable under every key.")
    if counts["unreadable"]:
        sys.exit(1)  # a client whose secret no key reads needs a new one


@spoa_cli.command("prune")
def prune():
    """Remove what is past its retention period now (the workers do it hourly):
    raw BaRS bodies of closed referrals, access events, delivered notifications."""
    from spoa.services.retention import prune as prune_now

    counts = prune_now()
    click.echo("Pruned: " + ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in counts.items()) + ".")
