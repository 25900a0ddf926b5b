"""The app's passwords are hashed at full cost; only the tests make cheaper ones
(tests/support/password_cost.py), and those with the same method, checked the same way."""
from spoa.models import User
from spoa.services import accounts
from tests.support.people import PASSWORD

FULL_COST = "scrypt:32768:8:1"  # werkzeug's scrypt defaults: N=2**15, r=8, p=1 (32 MB a hash)


def test_a_user_s_password_and_the_unknown_username_check_cost_the_full_scrypt(real_password_cost):
    user = User(username="ada", role="admin")
    user.set_password(PASSWORD)
    assert user.password_hash.split("$", 1)[0] == FULL_COST
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "!")
    assert accounts._dummy_hash().split("$", 1)[0] == FULL_COST


def test_tests_hash_with_the_same_method_more_cheaply_and_check_for_real():
    user = User(username="ada", role="admin")
    user.set_password(PASSWORD)
    method, _ = user.password_hash.split("$", 1)
    assert method.startswith("scrypt:") and method != FULL_COST
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "!")
    assert accounts._dummy_hash().split("$", 1)[0] == method
