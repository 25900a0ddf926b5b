"""API clients: issued and revoked by an administrator (the API clients page) or
the CLI, from data loaded by schemas/api_clients.py."""
from sqlalchemy import select

from ..extensions import db
from ..models import ApiClient, User
from .admin_change import record, refuse_if_taken, saving


def create_api_client(*, name: str, sources: list[str], service: str | None, rate_limit_per_minute: int | None,
                      by: User | None) -> tuple[ApiClient, str]:
    """A new client and its token: the token is returned this once, never stored or recorded."""
    taken = f"There is already an API client called {name}"
    refuse_if_taken(db.session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None, "name", taken)
    sources = list(sources)
    client, token = ApiClient.issue(name=name, sources=sources or None, service=service,
                                    rate_limit_per_minute=rate_limit_per_minute)
    with saving("name", taken):
        db.session.add(client)
        db.session.flush()
        record(by, "api_client_created", client_id=client.id, name=name, sources=sources, service=service,
               rate_limit_per_minute=rate_limit_per_minute)
    return client, token


def revoke_api_client(client: ApiClient, by: User) -> None:
    """Its token stops working at once (the API answers 401). There is no undoing it:
    issue a new client instead, so a leaked token never comes back to life."""
    if client.is_active:
        client.is_active = False
        record(by, "api_client_revoked", client_id=client.id, name=client.name)
    db.session.commit()
