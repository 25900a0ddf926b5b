"""Demo data for a laptop: services with capacity declared, two voluntary
organisations on the duty rota, one user per role (and one for a voluntary
organisation, one for a hospital ward), API clients (111, a BaRS sender, the demo
hospital's system, the ambulance service's), a few community referrals and hospital
discharges across the pathways, one of them delayed, and a 999 call the ambulance service
pushed (posted to the FHIR receiver as the ambulance service's system would: it has no
BaRS endpoint registered, so SPOA tells it nothing, and the timeline says so).

Passwords and the token are random, made on the first run and kept in
instance/demo-credentials.json (git-ignored; DEMO_CREDENTIALS moves it), so no credential lives in the repo.
"""
import json
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from spoa.domain import audit, discharge_days
from spoa.domain.actor import Actor
from spoa.domain.lifecycle import OPEN_STATES, allowed_events
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import ApiClient, Referral, Service, User
from spoa.platform.timekeeping import now, parse_uk, uk_date
from spoa.schemas.intake import IntakeSchema
from spoa.services import capacity
from spoa.services.actions import apply_event
from spoa.services.intake import receive_referral

from . import pushed_call


def _credentials_file() -> Path:
    # Configurable so the tests keep their own and never touch a laptop's instance/.
    return Path(current_app.config["DEMO_CREDENTIALS"])


DEMO_USERS = (
    ("handler", "call_handler", None),
    ("crisis", "clinician", "crisis_response"),
    ("rehab", "clinician", "home_rehab"),
    ("supervisor", "supervisor", None),
    ("admin", "admin", None),
    ("volunteer", "clinician", "good_neighbours"),  # a voluntary organisation's own worklist
    ("ward", "ward", None),  # Talbot Butler ward at the demo hospital (DEMO_HOSPITAL)
    ("manager", "manager", None),  # the county's figures (/reports), and no patient's details
    # The on-call manager on the duty rota (a supervisor: reads what they are called about).
    ("oncall", "supervisor", None),
    ("analyst", "analyst", None),  # the generalised, pseudonymised extract, under a data-sharing agreement
)
# The duty rota: who holds each duty, day (08:00-20:00) and night
# (20:00-08:00) shifts in UK time from last night for DEMO_ROTA_DAYS days.
# The other services have no demo clinician: the queue warns that nobody is on
# duty as their duty lead, and their breaches go straight to the SPOA supervisor.
DEMO_ROTA = (("service_duty_lead", "crisis_response", "crisis"), ("service_duty_lead", "home_rehab", "rehab"),
             ("spoa_supervisor", None, "supervisor"), ("on_call_manager", None, "oncall"))
DEMO_ROTA_DAYS = 14
# The demo hospital: its ward user and its own system refer its patients for discharge.
DEMO_HOSPITAL = ("RNS01", "Northampton General Hospital")
NEEDS_NONE = {"personal_care": False, "night_care": False, "two_carers": False, "rehab_goals": False}
# Discharge referrals across the pathways: (source_reference, ward, days from today to the
# DRD, needs, care package, proposed pathway, minutes ago received, delay reason today).
# The last one's DRD was two days ago: delayed, with today's reason recorded.
DEMO_DISCHARGES = (
    ("NGH-DEMO-01", "Talbot Butler", 0, {**NEEDS_NONE, "mobility": "independent"}, "none", 0, 90, None),
    ("NGH-DEMO-02", "Talbot Butler", 1, {**NEEDS_NONE, "rehab_goals": True, "mobility": "with_aid"},
     "none", 1, 60, None),
    ("NGH-DEMO-03", "Abington", 2, {**NEEDS_NONE, "night_care": True, "rehab_goals": True,
                                    "mobility": "one_carer"}, "none", 1, 40, None),
    ("NGH-DEMO-04", "Abington", 3, {**NEEDS_NONE, "night_care": True, "two_carers": True,
                                    "mobility": "two_carers"}, "none", 3, 30, None),
    ("NGH-DEMO-05", "Talbot Butler", -2, {**NEEDS_NONE, "personal_care": True, "mobility": "one_carer"},
     "lapsed", 1, 600, "awaiting_care_package"),
)
DEMO_AMBULANCE = "demo-ambulance"  # the ambulance service's system: FHIR, as one source (emas)
# Voluntary organisations on the duty rota: (code, name, ISO weekdays on duty, referrals they can take today).
DEMO_ORGS = (
    ("good_neighbours", "Good Neighbours", [1, 2, 3, 4, 5, 6, 7], 3),
    ("age_concern_north", "Age Concern North", [1, 2, 3, 4, 5], 2),
)
# Clinical capacity (total, in use), declared once: no bed is free, so a bed-based
# rehab referral shows "Waiting for bed" (rules/policy/flags.yaml).
DEMO_CAPACITY = {"crisis_response": (8, 3), "bed_rehab": (10, 10), "care_home_assessment": (6, 4)}
# NHS numbers from the 999 test range: valid check digits, never issued (standards.md).
DEMO_REFERRALS = (
    ("DEMO-0001", "fall_no_injury", "9990000018", {"news2": 2, "clinical_frailty_scale": 6}, [], 100),
    ("DEMO-0002", "rehabilitation", "9990000026", None, [], 300),
    ("DEMO-0003", "social_support", "9990000034", None, [], 30),
    ("DEMO-0004", "confusion_delirium", None, {"news2": 8}, [], 10),
    ("DEMO-0005", "other", "9990000042", None, [], 20),
    ("DEMO-0006", "rehabilitation_bed", "9990000050", None, [], 45),
    ("DEMO-0007", "social_support", "9990000069", None, [], 15),
    # Received 1 h 57 min before seeding: its 2-hour clock breaches about 3 minutes
    # after the demo starts, in front of whoever is watching (the crisis team's
    # duty lead on the rota gets it in their inbox).
    ("DEMO-0008", "fall_no_injury", "9990000077", {"news2": 3, "clinical_frailty_scale": 6}, [], 117),
)

# Crisis response referrals from the ambulance service that the crisis team has
# already reached: (reference, minutes ago received). First contact is recorded as the
# demo is seeded, so those received more than 2 hours ago were reached late: the
# reports' 2-hour figure has something to show on a fresh demo (4 of 5 within 2 hours).
DEMO_CONTACTED = (("DEMO-0101", 35), ("DEMO-0102", 55), ("DEMO-0103", 80), ("DEMO-0104", 105), ("DEMO-0105", 150))

def _credentials() -> dict:
    """The demo passwords, made once; a demo user added since the file was made gets one too."""
    path = _credentials_file()
    creds = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name, _, _ in DEMO_USERS if name not in creds]
    if missing:
        creds.update({name: secrets.token_urlsafe(9) for name in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(creds))
        path.chmod(0o600)
    return creds


def _declare(service: Service, total: int, in_use: int) -> None:
    """Capacity as its team would declare it (audited), without committing."""
    before = {"total": service.capacity_total, "in_use": service.capacity_in_use}
    service.capacity_total, service.capacity_in_use = total, in_use
    service.capacity_unit, service.capacity_for = capacity.unit_of(service), capacity.today()
    service.capacity_updated_at, service.capacity_updated_by = now(), "demo data"
    audit.record(Actor.system("demo data"), "capacity_declared",
                 detail={"service": service.code, "before": before, "after": {"total": total, "in_use": in_use},
                         "via": "demo"})


def _services() -> list[str]:
    """The policy's services, the duty organisations, and capacity: clinical once,
    voluntary for today (a declaration counts only on its day), so a re-run the
    same day keeps the places already taken."""
    policy = current_policy()
    for code, name in policy.services.items():
        # The voluntary sector is its organisations (below), not a service of its own.
        if code != policy.duty_route and not db.session.scalar(select(Service).where(Service.code == code)):
            db.session.add(Service(code=code, name=name))
    for code, name, days, _ in DEMO_ORGS:
        if not db.session.scalar(select(Service).where(Service.code == code)):
            db.session.add(Service(code=code, name=name, kind="voluntary", duty_days=days))
    db.session.flush()
    services = {s.code: s for s in db.session.scalars(select(Service))}
    for code, (total, in_use) in DEMO_CAPACITY.items():
        if services[code].capacity_total is None:
            _declare(services[code], total, in_use)
    day, out = capacity.today(), []
    for code, name, _, total in DEMO_ORGS:
        org = services[code]
        if org.capacity_for != day and capacity.on_duty(org, day):
            _declare(org, total, 0)
        free = capacity.declared_today(org, day) or 0
        out.append(f"voluntary organisation {code} ({name}): "
                   + (f"on duty today, {free} place{'' if free == 1 else 's'} free"
                      if capacity.on_duty(org, day) else "not on duty today"))
    return out


def _rota() -> str:
    """The demo's duty rota, through the rota's own checks (services/rota.py); a
    shift already there (a re-run) is left as it is."""
    from datetime import datetime

    from spoa.models import DutyShift
    from spoa.services import rota

    users = {u.username: u for u in db.session.scalars(select(User))}
    first = datetime.combine(uk_date(now()) - timedelta(days=1), datetime.min.time())
    added = 0
    for day in range(DEMO_ROTA_DAYS + 1):
        for start_hour, hours in ((8, 12), (20, 12)):
            starts = parse_uk(f"{first + timedelta(days=day, hours=start_hour):%Y-%m-%dT%H:%M}")
            ends = parse_uk(f"{first + timedelta(days=day, hours=start_hour + hours):%Y-%m-%dT%H:%M}")
            if ends <= now() - timedelta(hours=12):
                continue
            for duty, service, username in DEMO_ROTA:
                taken = db.session.scalar(select(DutyShift.id).where(
                    DutyShift.duty == duty,
                    DutyShift.service.is_(None) if service is None else DutyShift.service == service,
                    DutyShift.starts_at < ends, DutyShift.ends_at > starts))
                if taken is None:
                    rota.add_shift(duty=duty, service=service, user=users[username], starts_at=starts, ends_at=ends,
                                   by=None)
                    added += 1
    holders = ", ".join(f"{rota.duty_words(rota.recipient_of(d, s))} {u}" for d, s, u in DEMO_ROTA)
    return f"duty rota: {holders} (day and night shifts for {DEMO_ROTA_DAYS} days; {added} added)"


def _payload(ref, need, nhs, obs, flags, minutes_ago):
    body = {
        "source": "nhs111", "source_reference": ref,
        "received_at": (now() - timedelta(minutes=minutes_ago)).isoformat(),
        "referrer": {"name": "Demo clinician", "organisation": "NHS 111"},
        "patient": {"given_name": "Demo", "family_name": f"Patient {ref[-1]}",
                    "date_of_birth": "1941-05-02", "postcode": "NN1 5BD", "nhs_number": nhs},
        "presenting_need": need, "consent": True, "red_flags": flags,
    }
    if obs:
        body["observations"] = obs
    if need.startswith("rehabilitation"):
        body["presenting_need"] = "rehabilitation"
        body["function"] = {"medically_stable": True, "rehab_potential": True,
                            "needs_overnight_care": need == "rehabilitation_bed"}
    return body


def _contacted(client: ApiClient) -> None:
    """The crisis team's demo work: each DEMO_CONTACTED referral accepted and first
    contact made by the crisis clinician, through the same events the worklist fires."""
    crisis = Actor.for_user(db.session.scalar(select(User).where(User.username == "crisis")))
    for ref, minutes_ago in DEMO_CONTACTED:
        referral = db.session.scalar(select(Referral).where(Referral.source_reference == ref))
        if referral is None:
            body = {**_payload(ref, "fall_no_injury", None, {"news2": 3}, [], minutes_ago),
                    "source": "emas", "emas_category": 3,
                    "referrer": {"name": "Paramedic (demo)", "organisation": "East Midlands Ambulance Service"}}
            referral = receive_referral(IntakeSchema().load(body), actor=Actor.for_client(client),
                                        client_id=client.id).referral
        for event in ("accept", "first_contact"):
            if event in allowed_events(referral, crisis):
                apply_event(referral, event, crisis)


def _demo_client(name: str, sources: list, key: str, creds: dict, out: list,
                 hospital_ods: str | None = None) -> ApiClient:
    """The demo API client ``name``, made once; its token kept in the credentials file."""
    client = db.session.scalar(select(ApiClient).where(ApiClient.name == name))
    if client is None:
        client, token = ApiClient.issue(name=name, sources=sources, hospital_ods=hospital_ods)
        db.session.add(client)
        db.session.commit()
        creds[key] = token
        _credentials_file().write_text(json.dumps(creds))
    out.append(f"API client {name} token {creds.get(key, '(made before; see instance/)')}")
    return client


def _discharge_payload(ref, ward, drd_days, needs, care_package, proposed, minutes_ago, _reason):
    today = uk_date(now())
    number = int(ref[-2:])
    return {
        "source": "acute", "source_reference": ref, "kind": "discharge",
        "received_at": (now() - timedelta(minutes=minutes_ago)).isoformat(),
        "referrer": {"name": "Ward sister (demo)", "organisation": DEMO_HOSPITAL[1], "ods_code": DEMO_HOSPITAL[0]},
        "patient": {"given_name": "Demo", "family_name": f"Inpatient {number}", "date_of_birth": "1936-09-12",
                    "postcode": "NN2 6LS", "lives_alone": False},
        "consent": True, "observations": {"news2": 1},
        "discharge": {
            "hospital_ods": DEMO_HOSPITAL[0], "hospital_name": DEMO_HOSPITAL[1], "ward": ward,
            "admitted_on": (today - timedelta(days=6)).isoformat(),
            "discharge_ready_date": (today + timedelta(days=drd_days)).isoformat(),
            "proposed_pathway": proposed, "needs": needs, "care_package": care_package,
            "usual_residence": "home", "patient_wishes": "Wants to go home.",
        },
    }


def _discharges(client: ApiClient) -> None:
    """The demo hospital's discharge referrals, sent by its own system; the delayed
    one has today's reason recorded by the ward's system, as a ward would."""
    actor = Actor.for_client(client)
    for row in DEMO_DISCHARGES:
        referral = db.session.scalar(select(Referral).where(Referral.source_reference == row[0]))
        if referral is None:
            data = IntakeSchema().load(_discharge_payload(*row))
            referral = receive_referral(data, actor=actor, client_id=client.id).referral
        reason = row[-1]
        if reason and "delay" in allowed_events(referral, actor) and discharge_days.reason_on(referral) is None:
            apply_event(referral, "delay", actor, reason=reason)


def _pushed_call(token: str | None, out: list) -> None:
    """A pushed 999 call in the queue's lane, posted to /fhir/$process-message with the
    ambulance system's token: the receiver's own checks, adapter, validation and rules. A
    new one only while none is open (a call is taken, returned or past its breach time
    within the hour: a demo started again gets a fresh one)."""
    if db.session.scalar(select(Referral.id).where(Referral.kind == "pushed_call",
                                                   Referral.state.in_(OPEN_STATES)).limit(1)):
        out.append("pushed 999 call: one open already")
        return
    dos_ids = current_app.config["SPOA_DOS_SERVICE_IDS"]
    if not dos_ids or token is None:
        out.append("pushed 999 call: none (" + ("SPOA_DOS_SERVICE_IDS is not set" if not dos_ids
                                                else "the ambulance system's token is not in the credentials file")
                   + ")")
        return
    request_id = str(uuid.uuid4())
    response = current_app.test_client().post(
        "/fhir/$process-message", data=json.dumps(pushed_call.message(dos_ids[0], now())),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json",
                 "X-Request-ID": request_id, "X-Correlation-ID": request_id})
    if response.status_code != 200:
        raise RuntimeError(f"the demo's pushed call was refused ({response.status_code}): "
                           f"{response.get_data(as_text=True)[:500]}")
    referral = db.session.scalar(select(Referral).where(Referral.source_reference == request_id))
    out.append(f"pushed 999 call {referral.reference}: breach time {pushed_call.BREACH_IN.seconds // 60} minutes"
               " from now (the queue's Pushed 999 calls lane)")


def seed() -> list[str]:
    out = _services()
    creds = _credentials()
    for username, role, service in DEMO_USERS:
        if not db.session.scalar(select(User).where(User.username == username)):
            user = User(username=username, role=role, service=service,
                        hospital_ods=DEMO_HOSPITAL[0] if role == "ward" else None)
            user.set_password(creds[username])
            db.session.add(user)
        place = service or (DEMO_HOSPITAL[0] if role == "ward" else None)
        out.append(f"user {username:<11} ({role}{', ' + place if place else ''}) password {creds[username]}")
    db.session.commit()
    out.append(_rota())  # before the referrals: what breaches as they are seeded goes to a named person
    client = _demo_client("demo-111", ["nhs111", "emas", "gp"], "api_token", creds, out)
    # A FHIR (BaRS) sender posts as exactly one source: a client of its own.
    _demo_client("demo-111-fhir", ["nhs111"], "fhir_token", creds, out)
    actor = Actor.for_client(client)
    for row in DEMO_REFERRALS:
        if db.session.scalar(select(Referral).where(Referral.source_reference == row[0])) is None:
            data = IntakeSchema().load(_payload(*row))
            receive_referral(data, actor=actor, client_id=client.id)
    _contacted(client)
    _discharges(_demo_client("demo-ngh", ["acute", "community_hospital"], "hospital_token", creds, out,
                             hospital_ods=DEMO_HOSPITAL[0]))
    # The ambulance service's system (CAD): it pushes Category 3 and 4 calls, as one source.
    _demo_client(DEMO_AMBULANCE, ["emas"], "ambulance_token", creds, out)
    _pushed_call(creds.get("ambulance_token"), out)
    database = current_app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1]  # no user or password
    out.append(f"{len(DEMO_REFERRALS) + len(DEMO_CONTACTED)} demo referrals and {len(DEMO_DISCHARGES)} discharges"
               f" present; database {database}")
    return out


import click  # noqa: E402

from spoa.cli import spoa_cli  # noqa: E402


@spoa_cli.command("seed-demo")
def seed_demo():
    """Demo services, users and referrals for a laptop (idempotent)."""
    for line in seed():
        click.echo(line)


@spoa_cli.command("demo-pushed-call")
@click.option("--out", "path", default="instance/pushed-call.json", show_default=True,
              help="Where to write the message (JSON).")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
def demo_pushed_call(path, base_url):
    """Write a pushed 999 call (the public example, made current); print how to post it as the demo's ambulance."""
    dos_ids = current_app.config["SPOA_DOS_SERVICE_IDS"]
    if not dos_ids:
        raise click.ClickException("SPOA_DOS_SERVICE_IDS is not set: the receiver takes no message addressed to it")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(pushed_call.message(dos_ids[0], now()), indent=1))
    token = json.loads(_credentials_file().read_text()).get("ambulance_token") if _credentials_file().exists() else None
    for line in pushed_call.curl_lines(base_url, token or "<the demo-ambulance token>", path):
        click.echo(line)
