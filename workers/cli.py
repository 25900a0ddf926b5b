"""The worker's commands, `flask --app wsgi spoa worker` and `flask --app wsgi spoa
reconcile`, added to the app's `spoa` group by the entry point (wsgi.py).

They live here, not in spoa/cli.py, so that spoa never imports workers: the
direction is rules <- spoa <- workers <- entry points (tests/test_layering.py).
"""
import click
from flask import current_app


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit (for tests and one-off catch-up).")
def worker(burst):
    """Run an RQ worker with the scheduler and the reconciler (SIGTERM stops it cleanly)."""
    from workers.runner import run_worker

    run_worker(current_app._get_current_object(), burst=burst)


@click.command("reconcile")
def reconcile():
    """One reconciler pass now, straight against the database (no Redis needed),
    then one delivery pass (email, webhooks) in this process; and the delayed-days
    sweep (after the day's alert time, alerts any discharge with no reason for today)."""
    from workers.context import use_app
    from workers.jobs import reconcile as run
    from workers.jobs import sweep_delays

    use_app(current_app._get_current_object())
    click.echo(run(deliver_here=True))
    click.echo(sweep_delays(deliver_here=True))


def register_worker_commands(app) -> None:
    """Put worker and reconcile in the app's `spoa` group (spoa/cli.py makes the group;
    adding a command twice replaces it with itself)."""
    group = app.cli.commands["spoa"]
    group.add_command(worker)
    group.add_command(reconcile)
