"""Where the store is, and the preferences remembered between starts (never a password)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# json and platformdirs are imported where they are used: this module is read before the
# window's first frame, which needs neither when there is no preferences file yet and
# LEADGATE_DATA_DIR is set (bench/startup.py).

APP_NAME = "Leadgate"
KEYRING_SERVICE = "leadgate"
ENV_DB = "LEADGATE_DB"
ENV_DATA_DIR = "LEADGATE_DATA_DIR"  # tests and the demo launcher point this at a scratch dir


def _app_dir(platform_dir: str, under_override: str = "") -> Path:
    """A folder of Leadgate's, made if missing: under LEADGATE_DATA_DIR when that is set,
    else where platformdirs puts this kind (`platform_dir`: user_data_dir, ...)."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        path = Path(override) / under_override
    else:
        import platformdirs

        path = Path(getattr(platformdirs, platform_dir)(APP_NAME, False))
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)  # the store and backups live here
    return path


def data_dir() -> Path:
    return _app_dir("user_data_dir")


def config_dir() -> Path:
    return _app_dir("user_config_dir")


def cache_dir() -> Path:
    return _app_dir("user_cache_dir", "cache")


def default_sqlite_url() -> str:
    return f"sqlite:///{data_dir() / 'leadgate.sqlite3'}"


class Preferences:
    """Small per-workstation preferences kept as JSON in the config dir."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"Preferences({self.path!r})"

    @classmethod
    def load(cls) -> Preferences:
        return cls(config_dir() / "preferences.json")

    def read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return {}
        import json

        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.read().get(key, default)

    def set(self, key: str, value: Any) -> None:
        data = self.read()
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
        import json

        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)


def resolve_store_url(cli_url: str | None = None) -> str:
    """--db wins, then LEADGATE_DB, then the store picked in the Connect dialog, then the
    default SQLite file."""
    if cli_url:
        return cli_url
    if os.environ.get(ENV_DB):
        return os.environ[ENV_DB]
    remembered = Preferences.load().get("store_url")
    if isinstance(remembered, str) and remembered:
        return remembered
    return default_sqlite_url()


def store_key(url_text: str) -> str:
    """A stable, password-free name for a store, usable before SQLAlchemy is imported."""
    import re

    text = re.sub(r"(://[^:/@]+):[^@]*@", r"\1@", url_text.strip())
    if text.startswith("postgresql://") or text.startswith("postgres://"):
        text = "postgresql+psycopg://" + text.split("://", 1)[1]
    return text
