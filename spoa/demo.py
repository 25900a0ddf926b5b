"""Demo data for a laptop: services, one user per role, an API client, a few referrals.

Passwords and the token are random, made on the first run and kept in
instance/demo-credentials.txt (git-ignored), so no credential lives in the repo.
"""
import json
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .clocks import now
from .config import INSTANCE
from .extensions import db
from .lifecycle import Actor
from .models import ApiClient, Referral, Service, User
from .policy import current_policy
from .schemas.intake import IntakeSchema
from .services.intake import receive_referral

CREDENTIALS = INSTANCE / "demo-credentials.json"
DEMO_USERS = (
    ("handler", "call_handler", None),
    ("crisis", "clinician", "crisis_response"),
    ("rehab", "clinician", "home_rehab"),
    ("supervisor", "supervisor", None),
    ("admin", "admin", None),
)
# NHS numbers from the 999 test range: valid check digits, never issued (standards.md).
DEMO_REFERRALS = (
    ("DEMO-0001", "fall_no_injury", "9990000018", {"news2": 2, "clinical_frailty_scale": 6}, [], 100),
    ("DEMO-0002", "rehabilitation", "9990000026", None, [], 300),
    ("DEMO-0003", "social_support", "9990000034", None, [], 30),
    ("DEMO-0004", "confusion_delirium", None, {"news2": 8}, [], 10),
    ("DEMO-0005", "other", "9990000042", None, [], 20),
)


def _credentials() -> dict:
    if CREDENTIALS.exists():
        return json.loads(CREDENTIALS.read_text())
    INSTANCE.mkdir(exist_ok=True)
    creds = {name: secrets.token_urlsafe(9) for name, _, _ in DEMO_USERS}
    CREDENTIALS.write_text(json.dumps(creds))
    CREDENTIALS.chmod(0o600)
    return creds


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
    if need == "rehabilitation":
        body["function"] = {"medically_stable": True, "rehab_potential": True, "needs_overnight_care": False}
    return body


def seed() -> list[str]:
    out = []
    for code, info in current_policy().routes.items():
        if info.is_service and not db.session.scalar(select(Service).where(Service.code == code)):
            db.session.add(Service(code=code, name=info.name))
    creds = _credentials()
    for username, role, service in DEMO_USERS:
        if not db.session.scalar(select(User).where(User.username == username)):
            user = User(username=username, role=role, service=service)
            user.set_password(creds[username])
            db.session.add(user)
        out.append(f"user {username:<11} ({role}{', ' + service if service else ''}) password {creds[username]}")
    db.session.commit()
    client = db.session.scalar(select(ApiClient).where(ApiClient.name == "demo-111"))
    if client is None:
        client, token = ApiClient.issue(name="demo-111", sources=["nhs111", "emas", "gp"])
        db.session.add(client)
        db.session.commit()
        creds["api_token"] = token
        CREDENTIALS.write_text(json.dumps(creds))
    out.append(f"API client demo-111 token {creds.get('api_token', '(made before; see instance/)')}")
    actor = Actor(kind="api_client", id=client.id, name=client.name)
    for row in DEMO_REFERRALS:
        if db.session.scalar(select(Referral).where(Referral.source_reference == row[0])) is None:
            data = IntakeSchema().load(_payload(*row))
            receive_referral(data, actor=actor, client_id=client.id)
    out.append(f"{len(DEMO_REFERRALS)} demo referrals present; database {current_app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    return out
