"""Log lines as JSON, each with the ids of what it was about (request, RQ job,
referral), and never a patient identifier."""
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from spoa.platform import logs
from tests.support.data.referral_data import VALID_REFERRAL

ROOT = Path(__file__).resolve().parents[1]
PATIENT = VALID_REFERRAL["patient"]
# Every identifier of the patient (and the referrer's person) as it was sent.
IDENTIFIERS = [PATIENT["nhs_number"], "943 476 5919", PATIENT["given_name"], PATIENT["family_name"],
               PATIENT["postcode"], PATIENT["postcode"].replace(" ", ""), PATIENT["address"], PATIENT["phone"],
               PATIENT["date_of_birth"], VALID_REFERRAL["referrer"]["name"], VALID_REFERRAL["referrer"]["phone"]]


@pytest.fixture
def json_lines():
    """Every line our JSON handler writes while the test runs (the app's own handler, in a buffer)."""
    buffer = io.StringIO()
    handler = logs.handler("json", buffer)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def read():
        text = buffer.getvalue()
        return text, [json.loads(line) for line in text.splitlines()]

    yield read
    root.removeHandler(handler)
    root.setLevel(level)


def no_identifiers(text: str) -> None:
    for identifier in IDENTIFIERS:
        assert identifier not in text, f"{identifier!r} in the log"


def test_intake_lines_carry_request_and_referral_ids(client, sender, payload, json_lines):
    _, headers = sender
    given = "lb-7f3c2a9e-0001"
    response = client.post("/api/v1/referrals", json=payload(), headers={**headers, "X-Request-ID": given})
    assert response.status_code == 201
    assert response.headers["X-Request-ID"] == given  # echoed
    text, lines = json_lines()
    received = [line for line in lines if line["message"].startswith("referral received")]
    assert len(received) == 1
    line = received[0]
    assert line["request_id"] == given
    assert line["referral_id"] == response.get_json()["id"]
    assert line["level"] == "INFO" and line["logger"] == "spoa.services.intake" and "timestamp" in line
    assert all(line.get("request_id") == given for line in lines)  # every line of that request
    no_identifiers(text)


@pytest.mark.parametrize("bad", ["two words", "x" * 129, "id\tforged\"line", "<script>", ""])
def test_an_unusable_request_id_is_replaced(client, bad, json_lines):
    response = client.get("/health", headers={"X-Request-ID": bad} if bad else {})
    made = response.headers["X-Request-ID"]
    assert made != bad and len(made) == 32 and int(made, 16) >= 0  # a fresh uuid4, in hex
    assert client.get("/health").headers["X-Request-ID"] != made  # one per request


def test_a_chase_as_an_rq_job_carries_job_and_referral_ids(client, post_referral, redis, app, json_lines):
    """A referral received three hours ago (its 2-hour clock breached), chased by the
    reconcile job a worker runs: the chase's line names the job and the referral."""
    from spoa.extensions import db
    from spoa.platform.timekeeping import now
    from workers.context import use_app
    from workers.jobs import reconcile
    from workers.queues import RECONCILE_QUEUE, SERIALIZER, queue
    from workers.runner import InProcessWorker

    posted = post_referral(at=now() - timedelta(hours=3))
    db.session.remove()  # the test's session holds no lock while the job runs in its own (SQLite)
    use_app(app)
    job = queue(RECONCILE_QUEUE, redis).enqueue(reconcile, job_id=f"reconcile-test-{uuid.uuid4().hex[:8]}")
    InProcessWorker([RECONCILE_QUEUE], connection=redis, serializer=SERIALIZER).work(burst=True)
    text, lines = json_lines()
    # (intake recorded the breach itself, back-dated as it was: the job escalates it)
    chased = [line for line in lines if line["message"].startswith("clock ") and "job_id" in line]
    assert chased, text
    assert {line["referral_id"] for line in chased} == {posted["id"]}
    assert {line["job_id"] for line in chased} == {job.id}
    done = [line for line in lines if line["message"].startswith("reconcile advanced")]
    assert done and done[0]["job_id"] == job.id and "referral_id" not in done[0]  # the pass, not one referral
    no_identifiers(text)


def test_a_request_about_a_referral_carries_its_id(app, json_lines):
    """/referrals/<id>... (pages and the API): every line of that request names the referral."""
    referral_id = str(uuid.uuid4())
    log = logging.getLogger("spoa.test")
    with app.test_request_context(f"/api/v1/referrals/{referral_id}", headers={"X-Request-ID": "req-1"}):
        app.preprocess_request()
        log.info("inside")
        app.do_teardown_request()
    with app.test_request_context("/referrals/not-a-uuid"):
        app.preprocess_request()
        log.info("not an id")
        app.do_teardown_request()
    log.info("outside any request")
    _, lines = json_lines()
    assert (lines[0]["request_id"], lines[0]["referral_id"]) == ("req-1", referral_id)
    assert "referral_id" not in lines[1] and "request_id" in lines[1]
    assert "request_id" not in lines[2] and "referral_id" not in lines[2]  # reset when the request ended


def test_identifiers_that_slip_into_a_message_are_redacted(json_lines):
    log = logging.getLogger("spoa.test")
    log.warning("looked up %s at %s", "9434765919", "NN1 5BD")
    try:
        raise ValueError("patient 943 476 5919 of NN1 5BD")
    except ValueError:
        log.exception("failed")
    log.info("reference SPOA-K7P2QX at 1764601234")  # not identifiers: left alone
    text, lines = json_lines()
    assert lines[0]["message"] == "looked up [nhs-number] at [postcode]"
    assert "[nhs-number]" in lines[1]["exc_info"] and "[postcode]" in lines[1]["exc_info"]
    assert lines[2]["message"] == "reference SPOA-K7P2QX at 1764601234"
    no_identifiers(text)


RUN = textwrap.dedent("""
    import logging
    from spoa import create_app
    from spoa.platform.safe_log import bound
    create_app()
    with bound(referral_id="6f1c0d7e-0000-4000-8000-000000000001"):
        logging.getLogger("spoa.cli.demo").info("hello")
""")


@pytest.mark.parametrize("fmt", ["json", "text", None])
def test_a_process_logs_in_the_configured_format(tmp_path, fmt):
    """A fresh process (gunicorn's worker, `flask spoa worker`): JSON unless LOG_FORMAT=text."""
    env = {k: v for k, v in os.environ.items() if k != "LOG_FORMAT"}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "x" * 32})
    if fmt:
        env["LOG_FORMAT"] = fmt
    done = subprocess.run([sys.executable, "-c", RUN], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    if fmt == "text":
        assert last.endswith("INFO spoa.cli.demo hello [referral_id=6f1c0d7e-0000-4000-8000-000000000001]")
    else:
        line = json.loads(last)
        assert (line["message"], line["referral_id"], line["level"]) == (
            "hello", "6f1c0d7e-0000-4000-8000-000000000001", "INFO")


def test_an_unknown_log_format_is_refused(tmp_path):
    from spoa import create_app
    from spoa.config import TestConfig

    with pytest.raises(ValueError, match="LOG_FORMAT"):
        create_app(TestConfig({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "x",
                               "LOG_FORMAT": "xml"}))
