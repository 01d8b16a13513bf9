"""PostgreSQL passwords live in the system keyring (service `leadgate`), never in a file."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import URL

from app.config import KEYRING_SERVICE


@dataclass(frozen=True)
class KeyringStatus:
    available: bool
    backend: str
    message: str


def keyring_account(url: URL) -> str:
    """The keyring user name for a server login: user@host:port/database."""
    return f"{url.username or ''}@{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def keyring_status() -> KeyringStatus:
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring install must not stop the app
        return KeyringStatus(False, "none", f"No keyring is usable ({exc}).")
    name = type(backend).__name__
    if isinstance(backend, fail.Keyring) or "fail" in type(backend).__module__:
        return KeyringStatus(
            False,
            name,
            "No system keyring is available on this computer: the password will be asked "
            "for at each start and will not be saved.",
        )
    return KeyringStatus(True, name, f"Passwords are kept in the system keyring ({name}).")


def get_password(url: URL) -> str | None:
    if not keyring_status().available:
        return None
    import keyring

    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_account(url))
    except Exception:
        return None


def set_password(url: URL, password: str) -> bool:
    """Save the password in the keyring; False when there is no keyring to save it in."""
    if not keyring_status().available:
        return False
    import keyring

    try:
        keyring.set_password(KEYRING_SERVICE, keyring_account(url), password)
    except Exception:
        return False
    return True
