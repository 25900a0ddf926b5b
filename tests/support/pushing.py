"""A 999 call pushed over real HTTP, as the ambulance service's system sends one."""
import json
import uuid
from datetime import timedelta

import requests

from spoa.platform.timekeeping import now
from tests.fhir.push_messages import pushed_call


def push_call(live_server, token, breach_in: timedelta, case_number="AMB-4242") -> dict:
    breach = (now() + breach_in).isoformat(timespec="milliseconds")
    request_id = str(uuid.uuid4())
    response = requests.post(f"{live_server}/fhir/$process-message", timeout=5,
                             data=json.dumps(pushed_call(breach=breach, case_number=case_number)),
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json",
                                      "X-Request-ID": request_id, "X-Correlation-ID": request_id})
    assert response.status_code == 200, response.text
    encounter = next(e["resource"] for e in response.json()["entry"]
                     if e["resource"]["resourceType"] == "Encounter" and e["resource"].get("status") == "planned")
    return {"id": encounter["id"], "reference": encounter["identifier"][0]["value"]}
