"""API clients: issued and revoked by an administrator (the API clients page) or
the CLI, from data loaded by schemas/api_clients.py."""
from sqlalchemy import select

from spoa.extensions import db
from spoa.models import ApiClient, User
from spoa.platform import sealed
from spoa.services.admin_change import record, refuse_if_taken, saving


def create_api_client(*, name: str, sources: list[str], service: str | None, rate_limit_per_minute: int | None,
                      by: User | None, callback_url: str | None = None,
                      hospital_ods: str | None = None,
                      scopes: list[str] | None = None) -> tuple[ApiClient, str, str | None]:
    """A new client, its token and (with a callback URL) its webhook signing secret:
    both returned this once. The token is stored hashed, the secret sealed
    (spoa/platform/sealed.py); neither is ever recorded or logged."""
    taken = f"There is already an API client called {name}"
    refuse_if_taken(db.session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None, "name", taken)
    sources, scopes = list(sources), list(scopes or ())
    client, token = ApiClient.issue(name=name, sources=sources or None, service=service,
                                    rate_limit_per_minute=rate_limit_per_minute, callback_url=callback_url,
                                    hospital_ods=hospital_ods, scopes=scopes or None)
    secret = None
    if callback_url:
        secret = sealed.new_webhook_secret()
        client.webhook_secret_sealed = sealed.seal(secret)
    with saving("name", taken):
        db.session.add(client)
        db.session.flush()
        record(by, "api_client_created", client_id=client.id, name=name, sources=sources, service=service,
               hospital_ods=hospital_ods, rate_limit_per_minute=rate_limit_per_minute, callback_url=callback_url,
               scopes=scopes)
    return client, token, secret


def revoke_api_client(client: ApiClient, by: User) -> None:
    """Its token stops working at once (the API answers 401). There is no undoing it:
    issue a new client instead, so a leaked token never comes back to life."""
    if client.is_active:
        client.is_active = False
        record(by, "api_client_revoked", client_id=client.id, name=client.name)
    db.session.commit()


def reseal_webhook_secrets(batch: int = 200) -> dict[str, int]:
    """Every stored signing secret sealed under the current seal key (the first of
    SEAL_KEYS), a batch a commit: after a new key is put first, and before the old
    one is dropped. Idempotent: a secret already under the current key is left as
    it is. One the keys cannot read is counted, left alone (its deliveries already
    fail and alert), never logged."""
    counts = {"resealed": 0, "current": 0, "unreadable": 0}
    last_id = 0
    while True:
        clients = db.session.scalars(select(ApiClient).where(
            ApiClient.id > last_id, ApiClient.webhook_secret_sealed.is_not(None))
            .order_by(ApiClient.id).limit(batch).with_for_update()).all()
        if not clients:
            break
        for client in clients:
            try:
                again = sealed.resealed(client.webhook_secret_sealed)
            except sealed.Unreadable:
                counts["unreadable"] += 1
                continue
            if again is None:
                counts["current"] += 1
            else:
                client.webhook_secret_sealed = again
                counts["resealed"] += 1
        last_id = clients[-1].id
        db.session.commit()
    if counts["resealed"]:
        record(None, "webhook_secrets_resealed", count=counts["resealed"])  # how many, never whose
        db.session.commit()
    return counts
