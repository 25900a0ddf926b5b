"""The access policy: who may read a referral, and what each caller is to it
(which decides the events it may fire: spoa/domain/lifecycle.py's table names relations).

Every surface asks here: the referral page and its actions, worklists, the live
queue and its stream, the duplicate panel and preview, the API. Reading is one
rule written once, as SQL (``readable``), so a list and a single page can never
disagree; ``may_read`` runs it for one row. A refused read is answered as if the
referral did not exist (404, never confirming it) and is recorded.

The access log (who read or was refused which referral, via which surface) is
added to the request's session here and never committed here: the surface commits
it once, with its answer (a page once rendered, an API answer once built), so a
read is never shown without its row, nor a row kept for a read that failed.

  supervisor      every referral
  clinician       (a service's or a voluntary organisation's user) what is routed or
                  assigned to their service now; read-only, what they themselves
                  acted on before (their id on an audit row of it)
  call_handler    what they entered; and an open referral the duplicate check showed
                  them that they then opened from the form's duplicate panel, for
                  DUPLICATE_GRANT after opening it (recorded, via='duplicate'). Being
                  shown a match grants nothing (recorded, via='duplicate_shown'): a
                  match may be opened only within MATCH_OPEN_WINDOW of its showing to
                  that person, so no reference can be opened that the check did not
                  find for them; and the check is bounded per person
                  (DUPLICATE_LOOKUPS_PER_HOUR, spoa/services/lookups.py)
  ward            (a hospital's ward user) its hospital's discharge referrals (kind
                  'discharge', hospital_ods theirs), open or closed; nothing else: no
                  community referral, no other hospital's; with no hospital, nothing
  admin           no patient details: administration only (and the reports, below)
  manager         no referral at all: the reports only
  analyst         no referral at all: the reports, and the row-level extract
  API client      what it sent; a service's system what is routed or assigned to it;
                  a hospital's system (hospital_ods set) its hospital's discharges too,
                  whoever sent them (a coordinator who took the ward's call, say);
                  a client with the "status" scope reads the coordination centre's
                  feed (aggregates only: may_read_status_feed), no referral more

Reports (spoa/reports/) are figures about many referrals, never one patient's
details, and are for REPORT_ROLES, with the period's counts as a download under
the small-number rule (spoa/reports/aggregate.py). Rows are not aggregates: the
pseudonymised row-level extract (spoa/reports/extract.py: generalised so that no
row stands alone, every download recorded) is EXTRACT_ROLES' only, a role given
to a named analyst under a data-sharing agreement; so is the national 2-hour clock
file (spoa/reports/csds_ucr.py), whose rows name SPOA's reference. A report table
of free text staff typed (its id ends "_reasons": a decline or withdrawal reason may name a
patient) is for FREE_TEXT_ROLES only: never a manager's, on the page or as CSV.
"""
import uuid
from datetime import timedelta

from sqlalchemy import and_, exists, false, or_, select, true

from spoa.domain import lifecycle
from spoa.domain.actor import Actor
from spoa.domain.policy import current_policy
from spoa.domain.relations import own_service, relations_of  # noqa: F401 (the policy's; callers ask here)
from spoa.extensions import db
from spoa.models import AccessEvent, AuditEvent, Referral
from spoa.models.duty_shift import DUTIES, SERVICE_DUTY_LEAD
from spoa.models.user import STATUS_SCOPE, same_token
from spoa.platform.timekeeping import now

# A call handler who opened a match the duplicate check showed them may read it for
# one shift: long enough to take the call back, add to it or ring the service about
# it later in the same shift; not a standing right to every patient they once matched.
DUPLICATE_GRANT = timedelta(hours=12)
# A match may be opened from the panel this long after it was last shown to the
# person (the call it came up in), not later, and never one that was not shown.
MATCH_OPEN_WINDOW = timedelta(minutes=30)
# The same match shown again while the form is being filled in (the preview runs
# as fields change) is one showing, not dozens of rows.
_SAME_SHOWING = timedelta(minutes=10)
SHOWN, OPENED = "duplicate_shown", "duplicate"  # AccessEvent.via


def readable(actor: Actor):
    """SQL condition on Referral: the referrals this actor may read."""
    if actor.kind == "system" or (actor.kind == "user" and actor.role == "supervisor"):
        return true()
    if actor.kind == "api_client":
        conditions = [Referral.api_client_id == actor.id]
        if actor.service:
            conditions += [Referral.route == actor.service, Referral.assigned_service == actor.service]
        if actor.hospital:
            conditions.append(_hospitals_discharges(actor.hospital))
        return or_(*conditions)
    if actor.kind != "user" or actor.id is None:
        return false()
    if actor.role == "ward":
        return _hospitals_discharges(actor.hospital) if actor.hospital else false()
    if actor.role == "clinician" and actor.service:
        acted_on = exists().where(AuditEvent.referral_id == Referral.id, AuditEvent.actor_kind == "user",
                                  AuditEvent.actor_id == actor.id)
        return or_(Referral.route == actor.service, Referral.assigned_service == actor.service, acted_on)
    if actor.role == "call_handler":
        opened = exists().where(AccessEvent.referral_id == Referral.id, AccessEvent.user_id == actor.id,
                                AccessEvent.via == OPENED, AccessEvent.refused.is_(False),
                                AccessEvent.at >= now() - DUPLICATE_GRANT)
        return or_(Referral.created_by_user_id == actor.id,
                   and_(Referral.state.in_(lifecycle.OPEN_STATES), opened))
    return false()  # admins, and a clinician with no service


def _hospitals_discharges(hospital: str):
    """A hospital's own discharges: the same two columns the "hospital" relation
    (spoa/domain/relations.py) compares, so who may read and who may act agree."""
    return and_(Referral.kind == "discharge", Referral.hospital_ods == hospital)


def may_read(actor: Actor, referral: Referral) -> bool:
    if actor.kind == "system" or (actor.kind == "user" and actor.role == "supervisor"):
        return True
    return db.session.scalar(select(Referral.id).where(Referral.id == referral.id, readable(actor))) is not None


def _parse_id(referral_id):
    if isinstance(referral_id, uuid.UUID):
        return referral_id
    try:
        return uuid.UUID(str(referral_id))
    except ValueError:
        return None


def readable_referral(actor: Actor, referral_id, via: str) -> Referral | None:
    """The referral if ``actor`` may read it, else None (answer 404). A refusal of a
    referral that exists is recorded (who, which, via which surface): the caller commits it."""
    key = _parse_id(referral_id)
    if key is None:
        return None
    # One query for the common case (allowed); a second only to tell a refusal from "no such".
    referral = db.session.scalar(select(Referral).where(Referral.id == key, readable(actor)))
    if referral is None and db.session.scalar(select(Referral.id).where(Referral.id == key)) is not None:
        _record(key, actor, via, refused=True)
    return referral


def record_view(referral, actor: Actor, via: str) -> None:
    """Who viewed which referral, when (product.md, data protection): the caller commits
    it with its answer."""
    _record(referral.id, actor, via)


def record_duplicates_shown(actor: Actor, referrals) -> None:
    """The duplicate check showed these open referrals (their reference, route and
    state) to this person: recorded as an access, which grants nothing itself but
    lets them open one from the panel within MATCH_OPEN_WINDOW (open_shown_match)."""
    if actor.kind != "user" or not referrals:
        return
    recent = set(db.session.scalars(select(AccessEvent.referral_id).where(
        AccessEvent.user_id == actor.id, AccessEvent.via == SHOWN,
        AccessEvent.referral_id.in_([r.id for r in referrals]), AccessEvent.at >= now() - _SAME_SHOWING)))
    for referral in referrals:
        if referral.id not in recent:
            _record(referral.id, actor, SHOWN)


def open_shown_match(actor: Actor, referral_id) -> Referral | None:
    """The person chose to open a match from the duplicate panel: if the check showed
    it to them within MATCH_OPEN_WINDOW and it is still open, the opening is recorded
    (via='duplicate', which is what lets a call handler read it) and it is returned.
    Otherwise None (answer 404), and an attempt on a referral that exists is recorded
    as refused. The caller commits."""
    key = _parse_id(referral_id)
    if key is None or actor.kind != "user" or actor.id is None:
        return None
    shown = exists().where(AccessEvent.referral_id == Referral.id, AccessEvent.user_id == actor.id,
                           AccessEvent.via == SHOWN, AccessEvent.refused.is_(False),
                           AccessEvent.at >= now() - MATCH_OPEN_WINDOW)
    referral = db.session.scalar(select(Referral).where(Referral.id == key,
                                                        Referral.state.in_(lifecycle.OPEN_STATES), shown))
    if referral is None:
        if db.session.scalar(select(Referral.id).where(Referral.id == key)) is not None:
            _record(key, actor, OPENED, refused=True)
        return None
    _record(referral.id, actor, OPENED)
    return referral


def _record(referral_id, actor: Actor, via: str, refused: bool = False) -> None:
    db.session.add(AccessEvent(referral_id=referral_id, actor_name=actor.name, via=via, refused=refused,
                               user_id=actor.id if actor.kind == "user" else None))


def audience(actor: Actor, referral) -> str:
    """Which view of a referral this caller gets (spoa/schemas/referral.py):
    'sender' for the system that sent it (unless it is also the service working
    it), 'full' for staff and the service's own systems. A hospital's system gets
    the sender's view of its hospital's discharges, sent by it or not: it is the
    referrer's side, never the service's."""
    if actor.kind == "api_client" and "service" not in relations_of(actor, referral):
        return "sender"
    return "full"


def may_declare_capacity(actor: Actor, service_code: str) -> bool:
    """A service's own clinicians (its team lead among them) and supervisors on its
    page; through the API, only the service's own system."""
    if actor.kind == "api_client":
        return actor.service == service_code
    return actor.kind == "user" and (actor.role == "supervisor" or own_service(actor) == service_code)


def may_read_status_feed(actor: Actor) -> bool:
    """The coordination centre's feed (aggregates, no patient data): an API client
    given the "status" scope, and nobody else (a sending system is not given it by
    posting referrals, nor a service's system by acting on them)."""
    return actor.kind == "api_client" and STATUS_SCOPE in actor.scopes


# --- the API's senders: what a client may send (of its Actor) -----------------------------

def may_post_as(actor: Actor, source: str) -> bool:
    """A sending system posts as the sources it was registered with, no other."""
    return source in actor.sources


def may_refer_discharges_from(actor: Actor, hospital_ods: str) -> bool:
    """A hospital's own system refers its own patients only: its discharges are what
    its ward users and it may then read and act on (relation "hospital"), so one for
    another hospital would be the other's to see."""
    return actor.hospital is None or hospital_ods == actor.hospital


# --- staff pages: what a signed-in person may use ----------------------------------------
# Of the User (None for no one), not an Actor: whether the account is active, and
# whether its holder leads a team, are part of the answer. Pages ask through one
# decorator (web/roles.py: allowed); a stream asks again as it runs (web/streams.py).

REPORT_ROLES = ("supervisor", "manager", "admin", "analyst")
EXTRACT_ROLES = ("analyst",)
FREE_TEXT_ROLES = ("supervisor", "admin")
FREE_TEXT_SUFFIX = "_reasons"  # a report table holding free text says so in its id
ENTER_ROLES = ("call_handler", "supervisor")


def _active_in(user, roles) -> bool:
    return user is not None and bool(user.is_active) and user.role in roles


def may_use_inbox(user) -> bool:
    """A person's own inbox and its badge: everyone signed in (what is in it is theirs alone)."""
    return user is not None and bool(user.is_active)


def may_use_queue(user) -> bool:
    """The live queue (page, action panel, event stream) and the shift's handover are the supervisors'."""
    return _active_in(user, ("supervisor",))


def may_enter_referrals(user) -> bool:
    """The new-referral forms, their preview and the duplicate panel: call handlers and supervisors."""
    return _active_in(user, ENTER_ROLES)


def may_see_worklist(user, service: str | None = None) -> bool:
    """A service's worklist: a clinician their own service's (``service`` None: theirs),
    a supervisor any service's."""
    if _active_in(user, ("supervisor",)):
        return True
    return _active_in(user, ("clinician",)) and service in (None, user.service)


def may_see_ward(user) -> bool:
    """The ward's page: a ward's user (their hospital's), a supervisor (any hospital's)."""
    return _active_in(user, ("ward", "supervisor"))


def may_administer(user) -> bool:
    return _active_in(user, ("admin",))


def may_see_reports(user) -> bool:
    return _active_in(user, REPORT_ROLES)


def may_see_report_table(user, table_id: str) -> bool:
    """Every table but one of free text, which only FREE_TEXT_ROLES see."""
    return may_see_reports(user) and (not table_id.endswith(FREE_TEXT_SUFFIX) or user.role in FREE_TEXT_ROLES)


def may_download_rows(user) -> bool:
    """Rows: the pseudonymised extract and the national clock file, never a manager's."""
    return may_see_reports(user) and user.role in EXTRACT_ROLES


# --- the duty rota -------------------------------------------------------------------------

def _of_the_duty(user, duty: str, service: str | None) -> bool:
    """A service's duty lead comes from its clinicians; the SPOA's own duties from its
    supervisors (an on-call manager must read the referral to act, and the manager
    role reads none). The same people lead each part of the rota as team leads."""
    if duty == SERVICE_DUTY_LEAD:
        return (user.role == "clinician" and service is not None and user.service == service
                and service != current_policy().duty_route)
    return duty in DUTIES and user.role == "supervisor"


def may_hold_duty(user, duty: str, service: str | None) -> bool:
    return bool(user and user.is_active and _of_the_duty(user, duty, service))


def may_edit_duty(user, duty: str, service: str | None) -> bool:
    """Admins edit any duty; a team lead the duties of their own part (a clinician
    their service's duty lead, a supervisor the SPOA supervisor and on-call manager)."""
    if user is None or not user.is_active:
        return False
    return user.role == "admin" and duty in DUTIES or bool(user.team_lead) and _of_the_duty(user, duty, service)


def may_see_rota(user) -> bool:
    """The rota is seen by those who may hold a duty, supervisors and admins (every
    editor of a part of it among them)."""
    return _active_in(user, ("clinician", "supervisor", "admin"))


# --- /metrics ------------------------------------------------------------------------------

def may_scrape(metrics_token: str | None, bearer: str | None, direct_from_loopback: bool) -> bool:
    """The operator's Prometheus only (metrics/guard.py says what the request showed):
    with METRICS_TOKEN set, a request carrying it as its bearer token, from wherever
    it comes (compared in constant time); without one, a request made straight to
    this process from a loopback address."""
    if metrics_token:
        return bearer is not None and same_token(metrics_token, bearer)
    return direct_from_loopback
