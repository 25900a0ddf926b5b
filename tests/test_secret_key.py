"""SECRET_KEY: required with PostgreSQL (machines must share it); a laptop's key
file private from its first byte, and the same key for processes starting at once."""
import multiprocessing
import os
import stat

import pytest

from spoa import config as spoa_config
from spoa.config import Config


@pytest.mark.parametrize("url", ["postgresql://spoa@db.example/spoa", "postgres://spoa@db.example/spoa",
                                 "postgresql+psycopg2://spoa@db.example/spoa"])
def test_postgresql_without_a_secret_key_refuses_to_start(url, tmp_path, monkeypatch):
    monkeypatch.setattr(spoa_config, "INSTANCE", tmp_path)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set when DATABASE_URL is PostgreSQL"):
        Config({"DATABASE_URL": url})
    assert not (tmp_path / "secret_key").exists()  # no machine-local key made instead


def test_postgresql_with_a_secret_key_starts(tmp_path, monkeypatch):
    monkeypatch.setattr(spoa_config, "INSTANCE", tmp_path)
    shared = "s" * 32
    assert Config({"DATABASE_URL": "postgresql://x@h/db", "SECRET_KEY": shared}).SECRET_KEY == shared
    assert not list(tmp_path.iterdir())  # no machine-local key of any kind


def test_a_laptop_key_file_is_private_whatever_the_umask(tmp_path, monkeypatch):
    monkeypatch.setattr(spoa_config, "INSTANCE", tmp_path / "instance")
    old = os.umask(0)
    try:
        key = Config({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}).SECRET_KEY
    finally:
        os.umask(old)
    path = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 64 and path.read_text() == key
    # No temporary file left beside it; the seal and pseudonym keys (tests/test_keys.py) made alike.
    assert sorted(os.listdir(path.parent)) == ["extract_pseudonym_key", "seal_key", "secret_key"]
    assert Config({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}).SECRET_KEY == key  # kept across restarts


def _start(path, barrier, out):
    barrier.wait()
    out.put(spoa_config._laptop_secret(path))


def test_processes_starting_at_once_end_with_the_same_key(tmp_path):
    ctx = multiprocessing.get_context("fork")
    n = 8
    barrier, out = ctx.Barrier(n), ctx.Queue()
    path = tmp_path / "secret_key"
    procs = [ctx.Process(target=_start, args=(path, barrier, out)) for _ in range(n)]
    for p in procs:
        p.start()
    keys = [out.get(timeout=30) for _ in range(n)]
    for p in procs:
        p.join(10)
    assert len(set(keys)) == 1 and keys[0] == path.read_text()
    assert os.listdir(tmp_path) == ["secret_key"]
