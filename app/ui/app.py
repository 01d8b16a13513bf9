"""Start-up: open the store, know the user, show the window. Problems get a clear dialog."""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget
from sqlalchemy.engine import URL

from app import __version__
from app.clock import Clock, SystemClock
from app.config import Preferences, config_dir, resolve_store_url
from app.credentials import get_password, keyring_status, set_password
from app.db import Store, StoreError, describe_url, open_store, parse_url, unit_of_work
from app.services import users as users_service
from app.services.users import UserInfo
from app.ui import theme
from app.ui.context import AppContext
from app.ui.main_window import MainWindow
from app.ui.startup import FirstUserDialog, PasswordDialog, UserPickerDialog
from app.ui.workers import TaskRunner


def configure_qt_settings() -> None:
    """Window state lives beside our preferences (and tests point both at a scratch dir)."""
    QCoreApplication.setOrganizationName("Leadgate")
    QCoreApplication.setApplicationName("Leadgate")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(config_dir()))


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv)
    configure_qt_settings()
    theme.apply_theme(app, Preferences.load().get("theme", "system"))
    return app


def _user_key(store: Store) -> str:
    return f"user:{describe_url(store.url)}"


def remembered_user(store: Store) -> UserInfo | None:
    ref = Preferences.load().get(_user_key(store))
    if not ref:
        return None
    with store.session() as session:
        return users_service.find_user(session, str(ref))


def remember_user(store: Store, user: UserInfo) -> None:
    Preferences.load().set(_user_key(store), user.email)


def pick_user(store: Store, clock: Clock, parent: QWidget | None = None) -> UserInfo | None:
    """The user for this workstation: the database login on PostgreSQL, else remembered,
    else asked (and on an empty store, the first user is created as its owner)."""
    with store.session() as session:
        team = users_service.list_users(session)
        if not store.is_sqlite:
            login = users_service.find_user_by_login(session, store.url.username)
            if login is not None:
                return login
    remembered = remembered_user(store)
    if remembered is not None:
        return remembered
    if not team:
        return _create_first_user(store, clock, parent)
    dialog = UserPickerDialog(team, parent=parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.selected() is None:
        return None
    user = dialog.selected()
    assert user is not None
    remember_user(store, user)
    return user


def _create_first_user(store: Store, clock: Clock, parent: QWidget | None) -> UserInfo | None:
    dialog = FirstUserDialog(parent)
    while dialog.exec() == QDialog.DialogCode.Accepted:
        try:
            with unit_of_work(store.session_factory) as session:
                user = users_service.create_user(
                    session,
                    name=dialog.name.text(),
                    email=dialog.email.text(),
                    role="owner",
                    now=clock.now(),
                )
        except ValueError as exc:
            dialog.error.setText(str(exc))
            continue
        remember_user(store, user)
        return user
    return None


def open_store_interactive(url_text: str, clock: Clock, parent: QWidget | None = None) -> Store:
    """Open the store, asking for a PostgreSQL password when the keyring has none."""
    url: URL = parse_url(url_text)
    password = None
    if url.get_backend_name() == "postgresql" and url.password is None:
        password = get_password(url)
    try:
        return open_store(url, password=password, now=clock.now())
    except StoreError as exc:
        if url.get_backend_name() != "postgresql" or "password" not in str(exc).lower():
            raise
    status = keyring_status()
    dialog = PasswordDialog(describe_url(url), status.available, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        raise StoreError("No password given for the team database.")
    password = dialog.password.text()
    store = open_store(url, password=password, now=clock.now())
    set_password(url, password)
    return store


def build_window(store: Store, clock: Clock, user: UserInfo) -> MainWindow:
    runner = TaskRunner(store.session_factory)
    ctx = AppContext(store=store, clock=clock, user=user, tasks=runner)
    window = MainWindow(ctx)
    runner.setParent(window)
    window.switch_user_handler = _switch_user
    window.connect_handler = _connect
    return window


def _switch_user(window: MainWindow) -> None:
    ctx = window.ctx
    with ctx.store.session() as session:
        team = users_service.list_users(session)
    dialog = UserPickerDialog(team, current=ctx.user, parent=window)
    if dialog.exec() == QDialog.DialogCode.Accepted and dialog.selected() is not None:
        user = dialog.selected()
        assert user is not None
        remember_user(ctx.store, user)
        ctx.set_user(user)


def _connect(window: MainWindow) -> None:
    from app.ui.connect_dialog import ConnectDialog

    dialog = ConnectDialog(window.ctx.tasks, window.ctx.store.url, window)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    url, password = dialog.url(), dialog.password_text()
    try:
        store = open_store(url, password=password, now=window.ctx.clock.now())
    except StoreError as exc:
        QMessageBox.warning(window, "Cannot connect", str(exc))
        return
    saved = set_password(url, password) if password else False
    Preferences.load().set("store_url", url.render_as_string(hide_password=True))
    user = pick_user(store, window.ctx.clock, window)
    if user is None:
        store.dispose()
        return
    new_window = build_window(store, window.ctx.clock, user)
    new_window.show()
    if password and not saved:
        new_window.statusBar().showMessage(keyring_status().message, 15000)
    _windows.append(new_window)
    window.close()


_windows: list[Any] = []


def run_gui(db_url: str | None = None, clock: Clock | None = None) -> int:
    app = ensure_app()
    app.setApplicationVersion(__version__)
    clock = clock or SystemClock()
    try:
        store = open_store_interactive(resolve_store_url(db_url), clock)
    except StoreError as exc:
        QMessageBox.critical(
            None,
            "Leadgate cannot open its database",
            f"{exc}\n\nStart Leadgate with --db to use another store, or fix the problem "
            "and try again.",
        )
        return 1
    user = pick_user(store, clock)
    if user is None:
        return 0
    window = build_window(store, clock, user)
    window.show()
    _windows.append(window)
    return app.exec()
