"""The admin page /admin/rules/replay: a changed policy uploaded (or a git revision)
replayed against a period, its results and the changed list as CSV; nothing changed."""
import csv
import html
import io
import re

import pytest

from rules.loader import load_policy
from tests.support.data.replay_data import (
    SINCE,
    UNTIL,
    committed_policy,
    fingerprint,
    policy_copy,
)
from tests.support.signing_in import csrf_token


@pytest.fixture
def admin(login_as):
    return login_as("admin")


@pytest.fixture
def received(receive):
    """Two urgent community response referrals and one home rehabilitation, in the period."""
    from tests.support.data.replay_data import REHAB_AT_HOME

    return {"ucr": [receive(), receive()], "rehab": receive(**REHAB_AT_HOME)}


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def post(client, path="/admin/rules/replay", files=None, **fields):
    data = {"csrf_token": csrf_token(client, "/admin/rules/replay"), "since": SINCE, "until": UNTIL, **fields}
    for name, content in (files or {}).items():
        data[name] = (io.BytesIO(content), f"{name}.yaml")
    return client.post(path, data=data, content_type="multipart/form-data")


def moved_routing(tmp_path) -> bytes:
    return (policy_copy(tmp_path / "c") / "routing.yaml").read_bytes()


def test_an_uploaded_routing_file_shows_what_would_move_and_changes_nothing(client, admin, db, received, tmp_path):
    before = fingerprint(db)
    response = post(client, files={"file-routing": moved_routing(tmp_path)})
    assert response.status_code == 200
    page = text(response)
    assert "routing.yaml as uploaded, the rest of the policy as it runs now" in page
    assert "received 2 Nov 2026 to 4 Nov 2026" in page
    assert re.search(r"Would change route 2 Would change urgency 0", page)
    assert ("Crisis response (2-hour urgent community response) Home-based rehabilitation 2" in page)
    assert "Changed referrals (2)" in page
    for reference in received["ucr"]:
        assert reference in page
    assert received["rehab"] not in page
    # What the request left is what a real request leaves: its session ends with it
    # (here the test's app context outlives requests, and the page's header read
    # its inbox count in the session's transaction, which on SQLite holds the write
    # lock the fingerprint's own connection needs). Anything uncommitted is gone.
    db.session.remove()
    assert fingerprint(db) == before


def test_the_csv_download_is_the_changed_list_of_what_was_shown(client, admin, db, received, tmp_path):
    shown = post(client, files={"file-routing": moved_routing(tmp_path)}).get_data(as_text=True)
    form = shown[shown.index('action="/admin/rules/replay.csv"'):]
    form = form[:form.index("</form>")]
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    assert set(carried) == {"csrf_token", "since", "until", "rev", "file-routing"}
    response = client.post("/admin/rules/replay.csv", data=carried)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="replay-2026-11-02-to-2026-11-04.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(r["SPOA reference"] for r in rows) == sorted(received["ucr"])
    assert {r["Rule after"] for r in rows} == {"ucr-condition"}


def test_a_git_revision_is_replayed(client, admin, app, db, received, tmp_path, monkeypatch):
    policy = committed_policy(tmp_path / "repo")
    monkeypatch.setitem(app.extensions, "spoa_policy", load_policy(policy))
    response = post(client, rev="HEAD")
    assert response.status_code == 200
    assert "Changed referrals (2)" in text(response)
    refused = post(client, rev="no-such-branch")
    assert refused.status_code == 422
    assert re.search(r'id="rev-error">Error: Unknown git revision', refused.get_data(as_text=True))


def test_an_invalid_file_is_refused_beside_its_field_naming_its_line(client, admin, db, received, tmp_path):
    bad = moved_routing(tmp_path).replace(b"route: home_rehab\n    urgency: routine",
                                          b"route: nowhere\n    urgency: routine")
    response = post(client, files={"file-routing": bad})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    message = re.search(r'id="file-routing-error">Error: ([^<]+)<', page).group(1)
    message = html.unescape(message)
    assert message.startswith("routing.yaml, line ") and "unknown route 'nowhere'" in message
    assert 'href="#file-routing"' in page and 'aria-describedby="file-routing-hint file-routing-error"' in page
    assert "Would change route" not in page


@pytest.mark.parametrize("fields, files, anchor, message", [
    ({"since": ""}, {"file-routing": b"x"}, "since", "Enter the first day to replay"),
    ({"since": "31/02/2026"}, {"file-routing": b"x"}, "since", "Enter a date, for example 24/11/2026"),
    ({"until": "01/11/2026"}, {"file-routing": b"x"}, "until", "The last day is before the first"),
    ({}, {}, "files", "Upload at least one changed policy file, or name a git revision"),
    ({"rev": "HEAD"}, {"file-flags": b"flags: []\n"}, "rev", "not both"),
    ({}, {"file-clocks": b"x" * (49 * 1024)}, "file-clocks", "clocks.yaml is over 48 KB"),
    ({}, {"file-routing": b"\xff\xfe\x00 not text"}, "file-routing", "routing.yaml: should be a mapping"),
    ({}, {"file-discharge": b"- a list\n"}, "file-discharge", "discharge.yaml: should be a mapping"),
    # Any shape at all is a mistake beside its field, never a 500:
    ({}, {"file-routing": b"[" * 20000}, "file-routing", "routing.yaml: nested too deeply to read"),
    ({}, {"file-clocks": b"{a: " * 10000}, "file-clocks", "clocks.yaml: nested too deeply to read"),
    ({}, {"file-flags": b"- " * 20000 + b"x\n"}, "file-flags", "flags.yaml: nested too deeply to read"),
    ({}, {"file-clocks": b"routes: " + b"9" * 5000}, "file-clocks", "clocks.yaml, line 1: not valid YAML: a value"),
    ({}, {"file-discharge": b"reasons: 2026-13-45\n"}, "file-discharge", "discharge.yaml, line 1: not valid YAML"),
    ({}, {"file-routing": b"? [a]\n: b\n"}, "file-routing", "routing.yaml, line 1: not valid YAML: a list or mapping"),
    ({}, {"file-flags": b"42\n"}, "file-flags", "flags.yaml: should be a mapping"),
    ({}, {"file-routing": bytes(range(256))}, "file-routing", "routing.yaml"),
])
def test_mistakes_are_shown_beside_their_field(client, admin, db, fields, files, anchor, message):
    response = post(client, files=files, **fields)
    # An upload that is no policy is a bad request (400); the form's own fields, 422.
    assert response.status_code == (400 if anchor.startswith("file-") else 422)
    page = response.get_data(as_text=True)
    assert re.search(rf'id="{anchor}-error">Error: [^<]*{re.escape(message)}', html.unescape(page)), page[:3000]
    assert f'href="#{anchor}"' in page


def test_every_mistake_is_shown_at_once(client, admin, db):
    response = post(client, files={"file-flags": b"flags: []\n"}, since="31/02/2026", rev="HEAD")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="since-error"' in page and 'id="rev-error"' in page


def test_a_tampered_carried_file_is_refused_not_a_500(client, admin, db):
    response = client.post("/admin/rules/replay.csv", data={
        "csrf_token": csrf_token(client, "/admin/rules/replay"), "since": SINCE, "file-routing": "not base64!"})
    assert response.status_code == 400 and "did not come back as it was sent" in response.get_data(as_text=True)


@pytest.mark.parametrize("role, service", [("supervisor", None), ("clinician", "crisis_response"),
                                           ("call_handler", None), ("ward", None)])
def test_only_administrators_may_replay(client, login_as, db, tmp_path, role, service):
    login_as(role, service=service)
    assert client.get("/admin/rules/replay").status_code == 403
    token = csrf_token(client, "/")
    for path in ("/admin/rules/replay", "/admin/rules/replay.csv"):
        response = client.post(path, data={"csrf_token": token, "since": SINCE, "rev": "HEAD"})
        assert response.status_code == 403, path


def test_the_form_without_its_csrf_token_is_refused(client, admin, db):
    assert client.post("/admin/rules/replay", data={"since": SINCE, "rev": "HEAD"}).status_code == 400
