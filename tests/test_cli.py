"""The CLI contract outside scripts rely on (issue 3, point 6)."""
import pytest

from spoa.models import ApiClient, Referral, User
from spoa.models.user import hash_token


@pytest.fixture
def cli(app, db):
    return app.test_cli_runner()


def test_create_api_client_prints_the_token_alone_on_the_last_line(cli, db):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "emas-hub", "--sources", "emas,nhs111"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    row = db.session.query(ApiClient).filter_by(name="emas-hub").one()
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert row.sources == ["emas", "nhs111"]


def test_a_service_system_client_is_bound_to_its_service(cli, db, client):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "crisis-sys", "--service", "crisis_response"])
    token = result.output.strip().splitlines()[-1]
    assert db.session.query(ApiClient).filter_by(name="crisis-sys").one().service == "crisis_response"
    assert client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_create_api_client_refuses_an_unknown_source(cli):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "x", "--sources", "emas,pigeon"])
    assert result.exit_code != 0
    assert "pigeon" in result.output


def test_create_user_reads_the_password_from_standard_input(cli, db):
    result = cli.invoke(args=["spoa", "create-user", "--username", "sam", "--role", "clinician",
                              "--service", "crisis_response"], input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(username="sam").one()
    assert user.check_password("correct horse battery") and "correct horse" not in user.password_hash


def test_a_clinician_needs_a_service(cli):
    result = cli.invoke(args=["spoa", "create-user", "--username", "x", "--role", "clinician"], input="long password\n")
    assert result.exit_code != 0 and "service" in result.output


def test_seed_demo_makes_services_users_and_referrals_and_can_run_twice(cli, db):
    first = cli.invoke(args=["spoa", "seed-demo"])
    second = cli.invoke(args=["spoa", "seed-demo"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert db.session.query(User).count() == 5
    assert db.session.query(Referral).count() == 5


def test_rules_check_and_rules_test_pass_on_the_shipped_policy(cli):
    check = cli.invoke(args=["rules", "check"])
    assert check.exit_code == 0 and "OK" in check.output
    run = cli.invoke(args=["rules", "test"])
    assert run.exit_code == 0, run.output
    assert " 0 failed" in run.output
