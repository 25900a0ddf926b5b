"""One key for each job, each rotatable with the old one still read (spoa/config.py,
spoa/platform/sealed.py): SECRET_KEY (+ SECRET_KEY_FALLBACKS) for sessions, SEAL_KEYS for
webhook signing secrets, EXTRACT_PSEUDONYM_KEY for the analyst's pseudonyms
(tests/web/test_reports_page.py checks those are not SECRET_KEY's; tests/web/test_key_rotation.py
the sessions)."""
import stat

import pytest

from spoa import config as spoa_config
from spoa.config import Config
from spoa.models import ApiClient
from spoa.platform import sealed
from spoa.services.api_clients import create_api_client

PG = "postgresql://spoa@db.example/spoa"
LONG = "k" * 32


@pytest.mark.parametrize("setting", ["SECRET_KEY", "SECRET_KEY_FALLBACKS", "SEAL_KEYS", "EXTRACT_PSEUDONYM_KEY"])
def test_production_refuses_a_key_shorter_than_32_bytes(setting, tmp_path, monkeypatch):
    monkeypatch.setattr(spoa_config, "INSTANCE", tmp_path)
    listed = setting in ("SECRET_KEY_FALLBACKS", "SEAL_KEYS")  # any key of the list
    env = {"DATABASE_URL": PG, "SECRET_KEY": LONG, setting: f"{LONG},{'s' * 31}" if listed else "s" * 31}
    with pytest.raises(RuntimeError, match=f"{setting} holds a key shorter than 32 bytes"):
        Config(env)
    env[setting] = LONG
    Config(env)  # 32 bytes is enough


def test_production_takes_every_key_from_the_environment_and_makes_none(tmp_path, monkeypatch):
    monkeypatch.setattr(spoa_config, "INSTANCE", tmp_path)
    config = Config({"DATABASE_URL": PG, "SECRET_KEY": LONG, "SECRET_KEY_FALLBACKS": f" {'o' * 40} ,, {'p' * 40}",
                     "SEAL_KEYS": f"{'n' * 40},{'m' * 40}"})
    assert config.SECRET_KEY_FALLBACKS == ["o" * 40, "p" * 40]
    assert config.SEAL_KEYS == ["n" * 40, "m" * 40]
    assert config.EXTRACT_PSEUDONYM_KEY is None  # unset: the analyst extract is refused, saying why
    assert not list(tmp_path.iterdir())


def test_a_laptop_makes_its_seal_and_pseudonym_keys_privately_and_keeps_them(tmp_path, monkeypatch):
    monkeypatch.setattr(spoa_config, "INSTANCE", tmp_path)
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    first, again = Config(env), Config(env)
    assert first.SEAL_KEYS == again.SEAL_KEYS == [(tmp_path / "seal_key").read_text()]
    pseudonyms = (tmp_path / "extract_pseudonym_key").read_text()
    assert first.EXTRACT_PSEUDONYM_KEY == again.EXTRACT_PSEUDONYM_KEY == pseudonyms
    assert len({first.SECRET_KEY, first.SEAL_KEYS[0], first.EXTRACT_PSEUDONYM_KEY}) == 3  # three keys, not one
    for name in ("seal_key", "extract_pseudonym_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


# --- sealed secrets --------------------------------------------------------------------------------

@pytest.fixture
def seal_keys(app):
    before = app.config["SEAL_KEYS"], app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"]
    yield lambda *keys: app.config.update(SEAL_KEYS=list(keys))
    app.config["SEAL_KEYS"], app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = before


def _client_with_secret(db, name="ambulance") -> tuple[int, str]:
    client, _, secret = create_api_client(name=name, sources=["emas"], service=None, rate_limit_per_minute=None,
                                          by=None, callback_url="https://sender.example/outcomes")
    return client.id, secret


def _stored(db, client_id) -> str:
    db.session.expire_all()
    return db.session.get(ApiClient, client_id).webhook_secret_sealed


def test_a_secret_sealed_under_the_old_key_is_read_after_rotation_and_reseal_moves_it(app, db, seal_keys):
    old, new = "old-seal-" + "o" * 40, "new-seal-" + "n" * 40
    seal_keys(old)
    client_id, secret = _client_with_secret(db)
    seal_keys(new, old)  # step 1: the new key first, the old one still read
    assert sealed.unseal(_stored(db, client_id)) == secret
    result = app.test_cli_runner().invoke(args=["spoa", "reseal"])  # step 2
    assert result.exit_code == 0, result.output
    assert result.output == "1 resealed under the current key, 0 already were, 0 unreadable under every key.\n"
    seal_keys(new)  # step 3: the old key dropped
    assert sealed.unseal(_stored(db, client_id)) == secret
    moved = _stored(db, client_id)
    again = app.test_cli_runner().invoke(args=["spoa", "reseal"])
    assert again.output.startswith("0 resealed under the current key, 1 already were")
    assert _stored(db, client_id) == moved  # a second run changes nothing
    seal_keys("another-" + "a" * 40)
    with pytest.raises(sealed.Unreadable):
        sealed.unseal(moved)


def test_secrets_sealed_under_secret_key_before_seal_keys_still_read_and_move(app, db, seal_keys):
    seal_keys()  # as before SEAL_KEYS: sealed under a key derived from SECRET_KEY
    client_id, secret = _client_with_secret(db)
    seal_keys("seal-" + "s" * 40)
    assert sealed.unseal(_stored(db, client_id)) == secret  # an upgrade breaks no delivery
    # SECRET_KEY rotated, the old one a fallback: still read (until resealed).
    app.config["SECRET_KEY_FALLBACKS"], app.config["SECRET_KEY"] = [app.config["SECRET_KEY"]], "rotated-" + "r" * 40
    assert sealed.unseal(_stored(db, client_id)) == secret
    assert app.test_cli_runner().invoke(args=["spoa", "reseal"]).output.startswith("1 resealed")
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert sealed.unseal(_stored(db, client_id)) == secret  # now under SEAL_KEYS alone


def test_reseal_names_no_client_and_fails_when_a_secret_is_unreadable(app, db, seal_keys):
    seal_keys("lost-" + "l" * 40)
    _client_with_secret(db, name="lost-sender")
    seal_keys("seal-" + "s" * 40)
    app.config["SECRET_KEY"] = "rotated-" + "r" * 40  # the legacy key gone too: nothing reads it
    result = app.test_cli_runner().invoke(args=["spoa", "reseal"])
    assert result.exit_code == 1
    assert result.output == "0 resealed under the current key, 0 already were, 1 unreadable under every key.\n"
