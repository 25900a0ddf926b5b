"""Who is acting: the rules engine, a staff user, an API client, or the command line.

Its own module so the lifecycle (what may happen), the access policy (who may
read and fire what) and the audit (what happened) all name the same thing
without importing each other.
"""
from dataclasses import dataclass, field

CLI_NAME = "admin (CLI)"  # what accounts and admin commands have always recorded for the CLI


@dataclass(frozen=True)
class Actor:
    kind: str                    # system | user | api_client
    name: str
    id: int | None = None
    role: str | None = None      # a user's role
    service: str | None = None   # a clinician's or a service system's own service
    hospital: str | None = None  # a ward user's or a hospital system's hospital (ODS code)
    sources: tuple = field(default=())
    scopes: tuple = field(default=())  # an API client's (ApiClient.scopes): what it may read beyond referrals

    @classmethod
    def system(cls, name: str = "rules engine") -> "Actor":
        return cls(kind="system", name=name)

    @classmethod
    def cli(cls) -> "Actor":
        """A person at the server's command line (flask spoa ...): trusted as the system."""
        return cls(kind="system", name=CLI_NAME)

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls(kind="user", id=user.id, name=user.username, role=user.role, service=user.service,
                   hospital=getattr(user, "hospital_ods", None))

    @classmethod
    def for_client(cls, client) -> "Actor":
        return cls(kind="api_client", id=client.id, name=client.name, service=client.service,
                   hospital=getattr(client, "hospital_ods", None),
                   sources=tuple(client.sources or ()), scopes=tuple(client.scopes or ()))
