"""Where BaRS senders are answered: `spoa add-fhir-endpoint --client ...`, remove and list."""
import click
from marshmallow import ValidationError

from spoa.cli import spoa_cli
from spoa.cli.common import Given, submit


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

    row, before = submit(NewFhirEndpointSchema(),
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
    row = submit(Given(), remove, endpoint=endpoint)
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
