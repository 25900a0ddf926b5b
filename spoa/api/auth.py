"""Who is calling the API: a bearer token's client (or, later, a signed-in user)."""
from flask import g, request

from spoa.api.client_cache import cache
from spoa.domain.actor import Actor
from spoa.models import ApiClient
from spoa.models.user import hash_token
from spoa.platform.problem import Problem

UNAUTHORISED_HEADERS = {"WWW-Authenticate": 'Bearer realm="spoa"'}


def _client_from_token() -> ApiClient | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return cache().client(hash_token(token.strip()))


def require_actor() -> Actor:
    """The caller, or 401. Sets g.api_client for the rate limiter and access checks."""
    client = _client_from_token()
    if client is None:
        raise Problem(401, "A valid bearer token is required (Authorization: Bearer <token>).",
                      headers=UNAUTHORISED_HEADERS)
    g.api_client = client
    return Actor.for_client(client)
