"""The duty rota and where each duty is told: `spoa add-duty`, `list-duties`, `add-channel`."""
import click

from spoa.cli import spoa_cli
from spoa.cli.common import Given, fail, submit


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

    shift = submit(NewShiftSchema(), lambda data: rota.add_shift(**data, by=None),
                    duty=duty, service=service, username=username, starts_at=starts_at, ends_at=ends_at)
    click.echo(f"Added shift {shift.id}: {rota.duty_words(shift.recipient)}, {rota.shift_words(shift)}.")


@spoa_cli.command("remove-duty")
@click.option("--id", "shift_id", required=True, type=int, help="The shift's id (list-duties shows it).")
def remove_duty(shift_id):
    """Take a shift off the duty rota."""
    from spoa.services import rota

    shift = submit(Given(), lambda _: rota.remove_shift(shift_id, by=None))
    click.echo(f"Removed shift {shift_id}: {rota.duty_words(shift.recipient)}, {rota.shift_words(shift)}.")


@spoa_cli.command("list-duties")
@click.option("--from", "start", help="A UK date, e.g. 2026-12-01 (default: today).")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 366))
def list_duties(start, days):
    """Who holds each duty, day by day (UK time), and what nobody holds."""
    from datetime import date, timedelta

    from spoa.platform.timekeeping import now, span_words, uk_date, uk_midnight
    from spoa.services import rota

    try:
        first = date.fromisoformat(start) if start else uk_date(now())
    except ValueError:
        fail(f"--from: Enter a UK date like 2026-12-01, not {start!r}")
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

    submit(NewChannelSchema(), lambda data: channels.add_channel(**data),
            recipient=recipient, username=username, channel=channel, target=target)
    click.echo(f"{username or recipient} now also gets {channel} notifications at {target}.")
