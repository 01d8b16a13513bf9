from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from sqlalchemy.engine import make_url

from app import credentials
from app.config import Preferences, resolve_store_url


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


URL = make_url("postgresql+psycopg://maria@crm.example.com:5433/sales")


def test_password_round_trips_through_keyring_under_leadgate_service(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    assert credentials.keyring_status().available
    assert credentials.set_password(URL, "s3cret")
    assert memory_keyring.items == {("leadgate", "maria@crm.example.com:5433/sales"): "s3cret"}
    assert credentials.get_password(URL) == "s3cret"
    # and never in a file
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"s3cret" not in path.read_bytes()


def test_no_keyring_backend_is_said_plainly() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        status = credentials.keyring_status()
        assert not status.available
        assert "will not be saved" in status.message
        assert credentials.set_password(URL, "x") is False
        assert credentials.get_password(URL) is None
    finally:
        keyring.set_keyring(previous)


def test_store_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_store_url().startswith("sqlite:///")
    Preferences.load().set("store_url", "postgresql+psycopg://maria@db/sales")
    assert resolve_store_url() == "postgresql+psycopg://maria@db/sales"
    monkeypatch.setenv("LEADGATE_DB", "sqlite:////tmp/env.sqlite3")
    assert resolve_store_url() == "sqlite:////tmp/env.sqlite3"
    assert resolve_store_url("sqlite:////tmp/cli.sqlite3") == "sqlite:////tmp/cli.sqlite3"
