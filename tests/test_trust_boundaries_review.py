"""The trust boundaries read from outside, as a checker tries them: the forms the
other tests do not (a BaRS message in XML naming another client's endpoint, the
address forms an attacker reaches for, a policy upload that is small on disk and
huge once read, looking patients up by saving the form)."""
import html

from spoa.models import Referral
from tests.web.conftest import csrf_token, login_as  # noqa: F401 (fixture)


# ------------------------------------------------------------------ 6. look-ups by NHS number

def test_past_the_allowance_saving_the_form_answers_who_has_an_open_referral_only_by_storing_one(
        app, client, login_as, db, monkeypatch):
    """Save is never refused, but past the hour's allowance it must not be a free look-up: a
    Save that stops at the duplicate panel (stores nothing), or one whose referrer's reference
    clashes with an earlier referral's (409, stores nothing), would answer number after number."""
    from tests.web.test_duplicate_lookups import nhs_numbers, preview
    from tests.web.test_referral_form import GOOD, post_form

    monkeypatch.setitem(app.config, "DUPLICATE_LOOKUPS_PER_HOUR", 1)
    login_as("call_handler", username="first")
    assert post_form(client, {**GOOD, "source_reference": "GP-1"}).status_code == 302  # GOOD's patient: open
    reference = db.session.query(Referral).one().reference
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("call_handler", username="walker")
    other, unknown = nhs_numbers(2)
    assert preview(client, {**GOOD, "patient.nhs_number": other}).status_code == 200  # the hour's one look-up
    stored = db.session.query(Referral).count()

    hit = post_form(client, {**GOOD, "patient.given_name": "Augusta"})  # an open referral's patient
    if db.session.query(Referral).count() == stored:  # nothing stored: it must then say nothing of a match
        assert reference not in hit.get_data(as_text=True)
    else:
        assert hit.status_code == 302  # stored, and only then warned
        page = html.unescape(client.get(hit.headers["Location"]).get_data(as_text=True))
        assert f"This patient already has an open referral ({reference})" in page

    clash = post_form(client, {**GOOD, "patient.nhs_number": unknown, "source_reference": "GP-1"})
    assert clash.status_code == 409  # the referrer's reference is another referral's: nothing stored
    assert 'class="duplicate__title"' not in clash.get_data(as_text=True)
