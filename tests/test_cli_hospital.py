"""The CLI for a hospital: its ward users and its own system."""
import pytest

from spoa.models import ApiClient, AuditEvent, User
from tests.support.people import PASSWORD


@pytest.fixture
def cli(app, db):
    return app.test_cli_runner()


def create_user(cli, *options):
    return cli.invoke(args=["spoa", "create-user", "--username", "wendy", *options], input=f"{PASSWORD}\n")


def test_a_ward_user_is_bound_to_their_hospital_upper_cased(cli, db):
    result = create_user(cli, "--role", "ward", "--hospital", " rns01 ")
    assert result.exit_code == 0, result.output
    assert "Created ward wendy at RNS01" in result.output
    user = db.session.query(User).filter_by(username="wendy").one()
    assert (user.role, user.hospital_ods, user.service) == ("ward", "RNS01", None)
    event = db.session.query(AuditEvent).filter_by(event="user_created").one()
    assert event.detail["hospital_ods"] == "RNS01"


@pytest.mark.parametrize("options, message", [
    (["--role", "ward"], "--hospital: A ward user belongs to one hospital"),
    (["--role", "supervisor", "--hospital", "RNS01"], "--hospital: Only a ward user belongs to a hospital"),
    (["--role", "ward", "--hospital", "RN"], "--hospital: An ODS code is 3 to 6 letters or digits"),
    (["--role", "ward", "--hospital", "RNS0123"], "--hospital: An ODS code is 3 to 6 letters or digits"),
    (["--role", "ward", "--hospital", "RNS-1"], "--hospital: An ODS code is 3 to 6 letters or digits"),
    (["--role", "ward", "--hospital", "ＲＮＳ01"], "--hospital: An ODS code is 3 to 6 letters or digits"),
    (["--role", "ward", "--hospital", "rnſ01"], "--hospital: An ODS code is 3 to 6 letters or digits"),
])
def test_a_ward_user_needs_a_hospital_and_no_one_else_has_one(cli, db, options, message):
    result = create_user(cli, *options)
    assert result.exit_code == 2 and message in result.output, result.output
    assert db.session.query(User).count() == 0


def test_a_hospital_system_is_bound_to_its_hospital_and_sends_discharges(cli, db):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "ngh-epr", "--sources", "acute,community_hospital",
                              "--hospital", "rns01"])
    assert result.exit_code == 0, result.output
    row = db.session.query(ApiClient).filter_by(name="ngh-epr").one()
    assert (row.hospital_ods, row.sources, row.service) == ("RNS01", ["acute", "community_hospital"], None)
    event = db.session.query(AuditEvent).filter_by(event="api_client_created").one()
    assert event.detail["hospital_ods"] == "RNS01"


@pytest.mark.parametrize("options, message", [
    (["--sources", "acute,gp"], "--sources: A hospital's system sends discharge referrals only: "
                                "choose acute or community_hospital, not gp"),
    (["--sources", "acute", "--service", "home_rehab"], "--service: A hospital's system is not a service's"),
    (["--sources", "acute", "--hospital", "R"], "--hospital: An ODS code is 3 to 6 letters or digits"),
])
def test_a_hospital_system_may_post_only_as_a_discharge_source(cli, db, options, message):
    args = ["spoa", "create-api-client", "--name", "ngh-epr", *options]
    if "--hospital" not in options:
        args += ["--hospital", "RNS01"]
    result = cli.invoke(args=args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert db.session.query(ApiClient).count() == 0


def test_a_hospital_system_without_sources_may_still_read_and_act(cli, db):
    # A ward dashboard that records discharges and delays, sending nothing itself.
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "ngh-board", "--hospital", "RNS01"])
    assert result.exit_code == 0, result.output
    assert db.session.query(ApiClient).filter_by(name="ngh-board").one().sources is None
