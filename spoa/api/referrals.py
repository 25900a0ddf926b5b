"""/api/v1/referrals: intake, read, list, lifecycle events (intake-contract.md)."""
from flask import g, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from spoa.api import bp, rate_limit, requests
from spoa.api.auth import require_actor
from spoa.api.openapi import REFERRAL_HEADERS, REFERRAL_VIEW, answer, header, named, operation, path_parameter
from spoa.api.requests import idempotency_key, if_match_version
from spoa.domain import access
from spoa.domain.lifecycle import LifecycleError
from spoa.extensions import db
from spoa.models import Clock, ClockEffect, Notification, Referral
from spoa.platform.problem import Problem
from spoa.schemas.intake import CommunityReferralIntakeSchema, DischargeReferralIntakeSchema, IntakeSchema
from spoa.schemas.referral import VIEWS, EventSchema, ReferralPageSchema, ReferralQuerySchema
from spoa.services.actions import VersionMismatch, apply_event
from spoa.services.intake import IntakeConflict, receive_referral

# Schemas hold no per-request state: build each once, not on every request.
INTAKE, EVENT, QUERY = IntakeSchema(), EventSchema(), ReferralQuerySchema()
PAGE = ReferralPageSchema()
REFERRAL_ID = path_parameter("referral_id", format="uuid")


def _referral_answer(description: str) -> dict:
    return answer(description, REFERRAL_VIEW, REFERRAL_HEADERS)


def _answer(actor, referral: Referral, status: int, audience: str | None = None):
    """The referral in the view for this caller's audience (the sender's or the full one)."""
    headers = {
        "Location": url_for("api.get_referral", referral_id=referral.id),
        "ETag": f'"{referral.version}"',
    }
    return VIEWS[audience or access.audience(actor, referral)].dump(referral), status, headers


def _referral_or_404(actor, referral_id: str, via: str = "api") -> Referral:
    referral = access.readable_referral(actor, referral_id, via)
    if referral is None:
        db.session.commit()  # a refusal of one that exists is recorded: this answer's one write
        raise Problem(404, "No such referral.")  # never confirm what a caller may not see
    return referral


@bp.post("/v1/referrals")
@operation("Send a referral", body=named("ReferralIntake", INTAKE, one_of={
               "CommunityReferralIntake": CommunityReferralIntakeSchema(),
               "DischargeReferralIntake": DischargeReferralIntakeSchema()}), errors=(403, 409, 429),
           parameters=[header("Idempotency-Key", "The same key and body answer the first referral again",
                              maxLength=255)],
           answers={201: _referral_answer("Accepted and triaged"),
                    200: _referral_answer("Already received with the same content")})
def create_referral():
    actor = require_actor()
    rate_limit.enforce(g.api_client)
    data = requests.body()
    key = idempotency_key()
    if not access.may_post_as(actor, data["source"]):
        raise Problem(403, f"This client may not post referrals as source '{data['source']}'.")
    if data["kind"] == "discharge" and not access.may_refer_discharges_from(actor, data["discharge"]["hospital_ods"]):
        # Nothing said of the hospital named: whether it is known is not this client's business.
        raise Problem(403, "This client may send discharge referrals only for its own hospital.")
    try:
        result = receive_referral(data, actor=actor, client_id=g.api_client.id, idempotency_key=key)
    except IntakeConflict as exc:
        raise Problem(409, exc.message, headers={
            "Location": url_for("api.get_referral", referral_id=exc.referral.id)}) from None
    return _answer(actor, result.referral, 201 if result.created else 200)


@bp.get("/v1/referrals/<referral_id>", parameters=[REFERRAL_ID])
@operation("A referral with its decision, clocks and history", errors=(404,),
           answers={200: _referral_answer("The referral")})
def get_referral(referral_id):
    actor = require_actor()
    referral = _referral_or_404(actor, referral_id)
    access.record_view(referral, actor, via="api")
    audience = access.audience(actor, referral)
    if audience == "full":
        _load_notifications(referral)
    answer = _answer(actor, referral, 200, audience)
    db.session.commit()  # the view's row, once its answer is built: never an answer without it
    return answer


def _load_notifications(referral: Referral) -> None:
    """The full view lists every notification with its clock, who it went to and who took
    it: loaded together (a few queries), not one a clock, an effect and a person."""
    people = (selectinload(Notification.user), selectinload(Notification.taken_by))
    db.session.scalars(select(Referral).where(Referral.id == referral.id).options(
        selectinload(Referral.clocks).selectinload(Clock.effects).selectinload(ClockEffect.notifications)
        .options(*people),
        selectinload(Referral.alerts).options(*people)).execution_options(populate_existing=True)).one()


@bp.get("/v1/referrals")
@operation("List referrals (a client sees only its own)", query=QUERY,
           answers={200: answer("A page of referrals", named("ReferralPage", PAGE))})
def list_referrals():
    actor = require_actor()
    query = requests.query()
    stmt = select(Referral).where(access.readable(actor))
    for name in ("state", "route", "source"):
        if name in query:
            stmt = stmt.where(getattr(Referral, name) == query[name])
    if "since" in query:
        stmt = stmt.where(Referral.received_at >= query["since"])
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page, per_page = query["page"], query["per_page"]
    items = db.session.scalars(
        stmt.order_by(Referral.received_at.desc(), Referral.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return PAGE.dump({"items": items, "page": page, "per_page": per_page, "total": total})


@bp.post("/v1/referrals/<referral_id>/events", parameters=[REFERRAL_ID])
@operation("A lifecycle event (accept, decline, first_contact, ..., and a discharge's discharged, "
           "readiness_withdrawn, ready_again, delay)", body=named("ReferralEvent", EVENT),
           errors=(403, 404, 409, 412), parameters=[header("If-Match", 'The version decided on, e.g. "3"')],
           answers={200: _referral_answer("Event applied")})
def post_event(referral_id):
    actor = require_actor()
    referral = _referral_or_404(actor, referral_id, via="api_event")
    data = requests.body()
    # Answered in the view the caller had when it asked: a service that declines
    # or hands a referral on gets its own event's answer, though it no longer holds it.
    audience = access.audience(actor, referral)
    try:
        apply_event(referral, data["event"], actor, reason=data.get("reason"),
                    expected_version=if_match_version(), route=data.get("route"),
                    urgency=data.get("urgency"), service=data.get("service"), at=data.get("at"),
                    discharge_ready_date=data.get("discharge_ready_date"), reason_code=data.get("reason_code"))
    except VersionMismatch as exc:
        raise Problem(412, f"The referral has moved on (now version {exc.current}): reload it and decide again.",
                      headers={"ETag": f'"{exc.current}"'}) from None
    except LifecycleError as exc:
        errors = {exc.field: [exc.message]} if exc.field else None
        raise Problem(exc.status, exc.message, errors=errors) from None
    return _answer(actor, referral, 200, audience)
