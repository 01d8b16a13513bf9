"""Live updates between workstations sharing a PostgreSQL store.

Triggers (migration 0010) send `NOTIFY leadgate_changes` with {"table", "op", "ids"} after
every statement that changes leads, activities or alerts. `ChangeListener` holds one
connection that LISTENs and hands each change to a callback, on its own thread. No Qt here:
app/ui/sync.py turns changes into signals.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import URL

log = logging.getLogger(__name__)

CHANNEL = "leadgate_changes"


@dataclass(frozen=True)
class Change:
    table: str
    op: str
    ids: tuple[int, ...] | None  # None: too many to list, refresh the whole table

    @classmethod
    def parse(cls, payload: str) -> Change | None:
        try:
            data = json.loads(payload)
            raw = data.get("ids") or ""
            ids = None if raw == "*" else tuple(int(i) for i in raw.split(",") if i)
            return cls(str(data["table"]), str(data.get("op", "")), ids)
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("Ignoring a malformed change notification: %r", payload[:200])
            return None


def _conninfo(url: URL, password: str | None) -> str:
    import psycopg.conninfo

    params: dict[str, str | int] = {}
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = url.port
    if url.database:
        params["dbname"] = url.database
    if url.username:
        params["user"] = url.username
    if password or url.password:
        params["password"] = password or str(url.password)
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else value[0]
    params.setdefault("application_name", "leadgate-listener")
    params.setdefault("connect_timeout", 5)
    return psycopg.conninfo.make_conninfo(**params)  # type: ignore[arg-type]


class ChangeListener:
    """LISTENs on a dedicated connection in a daemon thread until `stop()`."""

    def __init__(
        self,
        url: URL,
        on_change: Callable[[Change], None],
        *,
        password: str | None = None,
        on_error: Callable[[str], None] | None = None,
        poll_seconds: float = 0.5,
    ) -> None:
        self._conninfo = _conninfo(url, password)
        self._on_change = on_change
        self._on_error = on_error
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="leadgate-listener", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """True once LISTEN is in force (changes committed after this are delivered)."""
        return self._ready.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg

        backoff = 1.0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._ready.set()
                    backoff = 1.0
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=self._poll, stop_after=100):
                            change = Change.parse(note.payload)
                            if change is not None:
                                self._on_change(change)
            except psycopg.Error as exc:
                message = str(exc).strip().splitlines()[0] if str(exc) else type(exc).__name__
                log.warning("Live updates interrupted: %s", message)
                if self._on_error is not None:
                    self._on_error(f"Live updates paused: {message}. Retrying…")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
