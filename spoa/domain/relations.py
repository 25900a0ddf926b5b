"""What a caller is to a referral (system, supervisor, service, referrer, call
handler, hospital): pure facts of the actor and the referral's own columns, so the lifecycle's
table (which allows events by relation) and the access policy (spoa/domain/access.py,
which every surface asks) share one definition without importing each other."""
from spoa.domain.actor import Actor


def own_service(actor: Actor) -> str | None:
    """The service whose work this caller does: a clinician's, or a service system's."""
    if actor.kind == "api_client" or (actor.kind == "user" and actor.role == "clinician"):
        return actor.service
    return None


def relations_of(actor: Actor, referral) -> frozenset:
    """What the actor is to this referral (lifecycle.TRANSITIONS allows events by these).
    Pure, so the table can be tested without a database. Reading is checked first,
    at every surface; a relation never grants reading."""
    rel = set()
    if actor.kind == "system":
        rel.add("system")
    if actor.kind == "user" and actor.role == "supervisor":
        rel.add("supervisor")
    service = own_service(actor)
    if service and service in (referral.route, getattr(referral, "assigned_service", None)):
        rel.add("service")
    # The referrer is the system that sent it, never a person at SPOA on its behalf:
    # withdrawing an ambulance crew's referral is the crew's (or a supervisor's) call.
    if actor.kind == "api_client" and getattr(referral, "api_client_id", None) == actor.id:
        rel.add("referrer")
    # The hospital a discharge is from: its ward users and its own system (the
    # discharge, its delays and readiness are theirs to record).
    if (getattr(referral, "kind", None) == "discharge" and actor.hospital
            and actor.hospital == getattr(referral, "hospital_ods", None)
            and (actor.kind == "api_client" or (actor.kind == "user" and actor.role == "ward"))):
        rel.add("hospital")
    if actor.kind == "user" and actor.role == "call_handler":
        rel.add("call_handler")
    return frozenset(rel)
