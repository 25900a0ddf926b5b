"""Command-line tools: `flask --app wsgi spoa ...` and `flask --app wsgi rules ...`.

The create-* commands print the new token alone on the last line of stdout:
outside scripts read it from there.
"""
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from marshmallow import ValidationError
from sqlalchemy import select

from spoa.extensions import db
from spoa.models import User
from spoa.models.user import ROLES, username_key
from spoa.schemas.errors import named_errors

spoa_cli = AppGroup("spoa", help="Administer SPOA: users, API clients, demo data.")
rules_cli = AppGroup("rules", help="Check and test the routing policy in rules/.")


def _fail(message: str):
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _options() -> dict[str, str]:
    """The running command's options by the parameter each sets: every admin command
    names its parameters as its schema names the fields (--rate sets rate_limit_per_minute)."""
    command = click.get_current_context().command
    return {p.name: max(p.opts, key=len) for p in command.params if isinstance(p, click.Option)}


def _option_for(field: str) -> str:
    # An admin command's one input that is not an option is read from standard input (the password).
    return _options().get(field, f"the {field} (standard input)")


def _fail_invalid(exc: ValidationError) -> None:
    """The schema's (or the service's) messages after the option that sets each field,
    through the same mapping the admin pages use for their fields (schemas/errors.py)."""
    _fail("; ".join(f"{option}: {message}" for option, messages in named_errors(exc, _option_for).items()
                    for message in messages))


def _submit(schema, act, **values):
    """An admin command's one way: its options through the schema (as an admin page
    loads its form), then act on the data; a ValidationError from either, the
    schema's or the service's, fails naming the option."""
    try:
        return act(schema.load(values))
    except ValidationError as exc:
        _fail_invalid(exc)


def _listed(text: str | None) -> list[str]:
    """A comma-separated option -> its items, as a form's ticked boxes arrive."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


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

    client, token, secret = _submit(
        NewApiClientSchema(), lambda data: api_clients.create_api_client(**data, by=None),
        name=name, sources=_listed(sources), service=service, hospital_ods=hospital_ods,
        rate_limit_per_minute=rate_limit_per_minute, callback_url=callback_url, scopes=_listed(scopes))
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
    _submit(NewUserSchema(partial=("password",)), lambda _: None, **given)  # the options' mistakes: before stdin
    password = sys.stdin.readline().rstrip("\r\n")
    user = _submit(NewUserSchema(), lambda data: users.create_user(**data, by=None), **given, password=password)
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

    org = _submit(NewVoluntaryOrgSchema(), lambda data: service_setup.create_voluntary_org(**data, by=None),
                  code=code, name=name, duty_days=_listed(duty_days))
    click.echo(f"Added voluntary organisation {org.name} ({org.code}), on duty: {days_in_words(org.duty_days)}.")


@spoa_cli.command("unlock-user")
@click.option("--username", required=True)
def unlock_user(username):
    """Unlock an account locked after failed sign-ins (recorded in the audit)."""
    from spoa.services.accounts import unlock
    from spoa.services.admin_change import CLI_ACTOR

    user = db.session.scalar(select(User).where(User.username == username_key(username)))
    if user is None:
        _fail(f"no user named {username!r}.")
    unlock(user, by=CLI_ACTOR)
    click.echo(f"Unlocked {username}.")


def _user_named(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username_key(username)))
    if user is None:
        _fail(f"no user named {username!r}.")
    return user


@spoa_cli.command("set-team-lead")
@click.option("--username", required=True)
@click.option("--off", is_flag=True, help="No longer a team lead.")
def set_team_lead(username, off):
    """Make a clinician or supervisor a team lead (they edit their part of the duty rota), or not (--off)."""
    from spoa.services import users

    user = _user_named(username)
    _submit(_Given(), lambda _: users.set_team_lead(user, not off, by=None))
    click.echo(f"{user.username} is {'no longer' if off else 'now'} a team lead.")


class _Given:
    """A command whose options need no schema: its service's ValidationError still
    goes through _submit's one way of naming the option."""

    def load(self, values):
        return values


@spoa_cli.command("add-duty")
@click.option("--duty", required=True, help="service_duty_lead, spoa_supervisor or on_call_manager.")
@click.option("--service", help="The service (a route id, e.g. crisis_response): for service_duty_lead only.")
@click.option("--username", required=True, help="Who is on duty.")
@click.option("--start", "starts_at", required=True, help="UK local time, e.g. 2026-12-01T08:00.")
@click.option("--end", "ends_at", required=True, help="UK local time, e.g. 2026-12-01T20:00.")
def add_duty(duty, service, username, starts_at, ends_at):
    """Put a named person on a duty from --start to --end (UK time; the end is the next holder's)."""
    from spoa.schemas.rota import NewShiftSchema
    from spoa.services import rota

    shift = _submit(NewShiftSchema(), lambda data: rota.add_shift(**data, by=None),
                    duty=duty, service=service, username=username, starts_at=starts_at, ends_at=ends_at)
    click.echo(f"Added shift {shift.id}: {rota.duty_words(shift.recipient)}, {rota.shift_words(shift)}.")


@spoa_cli.command("remove-duty")
@click.option("--id", "shift_id", required=True, type=int, help="The shift's id (list-duties shows it).")
def remove_duty(shift_id):
    """Take a shift off the duty rota."""
    from spoa.services import rota

    shift = _submit(_Given(), lambda _: rota.remove_shift(shift_id, by=None))
    click.echo(f"Removed shift {shift_id}: {rota.duty_words(shift.recipient)}, {rota.shift_words(shift)}.")


@spoa_cli.command("list-duties")
@click.option("--from", "start", help="A UK date, e.g. 2026-12-01 (default: today).")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 366))
def list_duties(start, days):
    """Who holds each duty, day by day (UK time), and what nobody holds."""
    from datetime import date, timedelta

    from spoa.platform.timekeeping import now, uk_date
    from spoa.services import rota
    from spoa.uk_time import span_words, uk_midnight

    try:
        first = date.fromisoformat(start) if start else uk_date(now())
    except ValueError:
        _fail(f"--from: Enter a UK date like 2026-12-01, not {start!r}")
    begin, end = uk_midnight(first), uk_midnight(first + timedelta(days=days))
    shifts, gaps = rota.shifts_between(begin, end), rota.gaps(begin, end)
    for recipient in rota.covered_duties():
        click.echo(f"{rota.duty_words(recipient)} ({recipient}):")
        mine = [s for s in shifts if s.recipient == recipient]
        for shift in mine:
            click.echo(f"  [{shift.id}] {rota.shift_words(shift)}")
        for gap_start, gap_end in gaps.get(recipient, []):
            click.echo(f"  nobody {span_words(gap_start, gap_end)}")


@spoa_cli.command("add-channel")
@click.option("--recipient", help="A duty role: spoa_supervisor, on_call_manager, or service_duty_lead[:route].")
@click.option("--username", help="A person: their own channel, used whenever a notification goes to them on duty.")
@click.option("--channel", required=True, type=click.Choice(["email", "webhook"]))
@click.option("--target", required=True, help="An email address, or an https:// URL (SMS gateways are webhooks).")
def add_channel(recipient, username, channel, target):
    """Send a duty role's, or one person's, notifications to email or a webhook as well as in-app."""
    from spoa.notifications import channels
    from spoa.schemas.channels import NewChannelSchema

    _submit(NewChannelSchema(), lambda data: channels.add_channel(**data),
            recipient=recipient, username=username, channel=channel, target=target)
    click.echo(f"{username or recipient} now also gets {channel} notifications at {target}.")


@spoa_cli.command("add-fhir-endpoint")
@click.option("--client", required=True, help="The API client (sending system) whose endpoint it is: only it may "
                                              "name the endpoint, and only its referrals' outcomes go there.")
@click.option("--endpoint", required=True,
              help='The BaRS sender\'s MessageHeader.source.endpoint, e.g. "https://fhir.nhs.uk/Id/dos-service-id|2222222222".')
@click.option("--url", "base_url", required=True,
              help="Its FHIR base URL: outcomes are posted to <url>/$process-message.")
def add_fhir_endpoint(client, endpoint, base_url):
    """Tell a BaRS sender its referrals' outcomes at its own $process-message (again: re-points it;
    for an endpoint registered before endpoints had owners: claims it for --client)."""
    from spoa.notifications import fhir_endpoints
    from spoa.schemas.fhir_endpoints import NewFhirEndpointSchema

    row, before = _submit(NewFhirEndpointSchema(),
                          lambda data: fhir_endpoints.register_fhir_endpoint(**data, by=None),
                          client=client, endpoint=endpoint, base_url=base_url)
    moved = f" (was {before})" if before and before != row.base_url else ""
    click.echo(f"Outcomes for {row.endpoint} ({row.client.name}) now go to "
               f"{row.base_url}{fhir_endpoints.PROCESS_MESSAGE}{moved}.")


@spoa_cli.command("remove-fhir-endpoint")
@click.option("--endpoint", required=True, help="The identifier, as add-fhir-endpoint registered it.")
def remove_fhir_endpoint(endpoint):
    """Stop telling a BaRS sender at an endpoint (outcomes still queued for it are not sent)."""
    from spoa.notifications import fhir_endpoints

    def remove(_):
        row = fhir_endpoints.registered(endpoint)
        if row is None:
            raise ValidationError({"endpoint": [f"No endpoint {endpoint} is registered (list-fhir-endpoints)"]})
        fhir_endpoints.remove_fhir_endpoint(row, by=None)
        return row
    row = _submit(_Given(), remove, endpoint=endpoint)
    click.echo(f"Removed {row.endpoint}: its sender is told nothing more there.")


@spoa_cli.command("list-fhir-endpoints")
def list_fhir_endpoints():
    """Every registered BaRS endpoint, its API client and where its outcomes go."""
    from spoa.notifications import fhir_endpoints

    rows = fhir_endpoints.all_endpoints()
    for row in rows:
        owner = (f"{row.client.name}{'' if row.client.is_active else ' (revoked)'}" if row.client
                 else "UNOWNED (never used: claim it with add-fhir-endpoint --client)")
        state = "" if row.is_active else " [inactive]"
        click.echo(f"{row.endpoint}  {owner}  {row.base_url}{fhir_endpoints.PROCESS_MESSAGE}{state}")
    if not rows:
        click.echo("No BaRS endpoints registered.")


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


@spoa_cli.command("seed-demo")
def seed_demo():
    """Demo services, users and referrals for a laptop (idempotent)."""
    from spoa.cli.demo import seed

    for line in seed():
        click.echo(line)


@rules_cli.command("check")
def rules_check():
    """Load and validate the policy files (the app refuses to start if they are bad)."""
    from rules.errors import PolicyError
    from rules.loader import load_policy

    directory = current_app.config.get("RULES_DIR")
    try:
        policy = load_policy(directory)
    except PolicyError as exc:
        _fail(str(exc))
    flags = f"{len(policy.flags)} flag" + ("" if len(policy.flags) == 1 else "s")
    click.echo(f"OK: {len(policy.rules)} rules, {flags}, {len(policy.routes)} routes, version {policy.version}")


@rules_cli.command("test")
def rules_test():
    """Run every scenario in rules/scenarios against the policy."""
    from rules.errors import PolicyError
    from rules.loader import load_policy
    from rules.scenario_runner import load_scenarios, run_scenario, unpinned_flags, unpinned_rules

    try:
        policy = load_policy(current_app.config.get("RULES_DIR"))
        scenarios = load_scenarios()
    except (PolicyError, ValueError) as exc:
        _fail(str(exc))
    results = [run_scenario(policy, s) for s in scenarios]
    failed = [r for r in results if not r.passed]
    for r in failed:
        click.echo(f"FAIL {r.name}: {r.message}")
    unpinned = unpinned_rules(policy, scenarios)
    for rule_id in unpinned:
        click.echo(f"UNPINNED {rule_id}: no scenario decides by this rule")
    for flag_id in unpinned_flags(policy, scenarios):
        unpinned.append(flag_id)
        click.echo(f"UNPINNED {flag_id}: no scenario expects this flag")
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or unpinned:
        sys.exit(1)


@rules_cli.command("replay")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=str),
              help="A changed policy directory, laid out as rules/policy.")
@click.option("--rev", help="Instead: rules/policy as it is at this git revision (a branch, tag or commit).")
@click.option("--since", required=True, help="The first UK day received, e.g. 2026-11-01 or 01/11/2026.")
@click.option("--until", help="The last UK day received, included (default: today).")
@click.option("--format", "output_format", type=click.Choice(["text", "csv"]), default="text", show_default=True,
              help="text: the counts, the from -> to table and the changed referrals; csv: the changed referrals.")
@click.option("--output", type=click.File("w", encoding="utf-8", lazy=True), default="-",
              help="Write to this file (default: standard output).")
def rules_replay(rules_dir, rev, since, until, output_format, output):
    """What a changed policy would do: replay the rules decisions of the referrals received
    in a period against it, changing nothing."""
    from spoa.domain.policy import current_policy
    from spoa.replay import candidate as candidates
    from spoa.replay.output import csv_lines, text_lines
    from spoa.replay.run import Tally, replay, replayed
    from spoa.schemas.replay import ReplaySchema

    if bool(rules_dir) == bool(rev):
        _fail("give the candidate policy: --rules PATH or --rev REV (one of them).")
    data = _submit(ReplaySchema(), lambda data: data, since=since, until=until)
    try:
        chosen = (candidates.from_directory(rules_dir) if rules_dir
                  else candidates.from_revision(rev, current_policy().directory))
    except candidates.CandidateError as exc:
        _fail(f"{'--rules' if rules_dir else '--rev'}: {exc.message}")
    policy, period = chosen.policy, data["period"]
    if output_format == "csv":
        tally = Tally()
        for line in csv_lines(replayed(policy, period, tally)):
            output.write(line)
        # The counts beside the file, where a redirected stdout does not hide them.
        click.echo(f"{tally.changed} of {tally.replayed} rules decisions replayed would change "
                   f"({tally.rederived} on re-derived facts, {tally.failed} not decided).", err=True)
        return
    names = {code: info.name for p in (current_policy(), policy) for code, info in p.routes.items()}
    for line in text_lines(replay(policy, period), chosen.described, names, current_policy().version):
        output.write(line + "\n")


def register_cli(app) -> None:
    app.cli.add_command(spoa_cli)
    app.cli.add_command(rules_cli)
