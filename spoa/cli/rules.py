"""The routing policy's commands: `flask --app wsgi rules check|test|replay`."""
import sys

import click
from flask import current_app

from spoa.cli import rules_cli
from spoa.cli.common import fail, submit


@rules_cli.command("check")
def rules_check():
    """Load and validate the policy files (the app refuses to start if they are bad)."""
    from rules.errors import PolicyError
    from rules.loader import load_policy

    directory = current_app.config.get("RULES_DIR")
    try:
        policy = load_policy(directory)
    except PolicyError as exc:
        fail(str(exc))
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
        fail(str(exc))
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
        fail("give the candidate policy: --rules PATH or --rev REV (one of them).")
    data = submit(ReplaySchema(), lambda data: data, since=since, until=until)
    try:
        chosen = (candidates.from_directory(rules_dir) if rules_dir
                  else candidates.from_revision(rev, current_policy().directory))
    except candidates.CandidateError as exc:
        fail(f"{'--rules' if rules_dir else '--rev'}: {exc.message}")
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
