"""received_at is bounded: a sender may date a referral back a
day at most (RECEIPT_MAX_AGE_HOURS), and no instant it sends reaches a clock
unless it is a usable one."""
from datetime import UTC, datetime, timedelta

import pytest

URL = "/api/v1/referrals"
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def post_received(frozen_now, client, sender, payload):
    """post_received(received_at): a referral sent at NOW saying it was received then."""
    _, headers = sender

    def post(received_at):
        with frozen_now(NOW):
            return client.post(URL, json=payload(received_at=received_at), headers=headers)

    return post


def test_back_dated_23_hours_59_minutes_is_accepted_and_counted_from_then(post_received, client, sender, payload):
    sent = NOW - timedelta(hours=23, minutes=59)
    response = post_received(sent.isoformat())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["received_at"] == sent.isoformat()


def test_back_dated_25_hours_is_refused_naming_received_at(post_received, client, sender, payload, db):
    response = post_received((NOW - timedelta(hours=25)).isoformat())
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "24 hours in the past" in response.get_json()["errors"]["received_at"][0]
    from spoa.models import Referral
    assert db.session.query(Referral).count() == 0


@pytest.mark.parametrize("instant", [
    "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59Z", "0001-01-01", "+10000-01-01T00:00:00Z",
    "٢٠٢٦-١١-٢٣T13:00:00Z",
])
def test_absurd_instants_are_a_422_never_a_500(post_received, client, sender, payload, instant):
    response = post_received(instant)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "received_at" in response.get_json()["errors"]


def test_the_window_is_configurable(post_received, client, sender, payload, app):
    app.config["RECEIPT_MAX_AGE_HOURS"] = 2
    try:
        late = post_received((NOW - timedelta(hours=3)).isoformat())
        fine = post_received((NOW - timedelta(hours=1)).isoformat())
    finally:
        app.config["RECEIPT_MAX_AGE_HOURS"] = 24
    assert (late.status_code, fine.status_code) == (422, 201)
    assert "2 hours in the past" in late.get_json()["errors"]["received_at"][0]


def test_the_window_comes_from_the_environment():
    from spoa.config import Config

    assert Config({"SECRET_KEY": "x"}).RECEIPT_MAX_AGE_HOURS == 24
    assert Config({"SECRET_KEY": "x", "RECEIPT_MAX_AGE_HOURS": "6"}).RECEIPT_MAX_AGE_HOURS == 6
    with pytest.raises(ValueError):
        Config({"SECRET_KEY": "x", "RECEIPT_MAX_AGE_HOURS": "0"})


def test_receipt_never_starts_a_clock_before_the_window():
    from spoa.platform.timekeeping import receipt

    assert receipt(datetime(1970, 1, 1, tzinfo=UTC), NOW, timedelta(hours=24)) == NOW - timedelta(hours=24)
    assert receipt(NOW - timedelta(hours=1), NOW, timedelta(hours=24)) == NOW - timedelta(hours=1)
    assert receipt(NOW + timedelta(minutes=3), NOW, timedelta(hours=24)) == NOW
    assert receipt(None, NOW, timedelta(hours=24)) == NOW


def test_a_list_since_an_instant_with_no_utc_form_is_a_422(client, sender):
    _, headers = sender
    response = client.get(URL, query_string={"since": "0001-01-01T00:00:00+05:00"}, headers=headers)
    assert response.status_code == 422
    assert "since" in response.get_json()["errors"]
