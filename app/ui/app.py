"""Start-up: open the store, know the user, show the window. Problems get a clear dialog."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app import __version__
from app.config import Preferences, config_dir, resolve_store_url, store_key
from app.resources import DESKTOP_FILE_NAME
from app.ui import theme
from app.ui.collector import collect_on_ui_thread
from app.ui.main_window import MainWindow

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtWidgets import QDialog, QWidget

    from app.clock import Clock
    from app.services.team.users import UserInfo
    from app.store.db import Store

# The database layer (SQLAlchemy, models, services) is imported inside the functions that need
# it, so that a returning user sees the window's frame before it has loaded (bench/startup.py).
# For the same reason the frame creates only the Qt types it paints with: see app.ui.theme.


def configure_qt_settings() -> None:
    """Window state lives beside our preferences (and tests point both at a scratch dir)."""
    QApplication.setOrganizationName("Leadgate")
    QApplication.setApplicationName("Leadgate")
    QApplication.setApplicationDisplayName("Leadgate")
    # Wayland's app id and the name docks and task bars match to leadgate.desktop.
    QApplication.setDesktopFileName(DESKTOP_FILE_NAME)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(config_dir()))


SYSTEM_DARK_KEY = "theme/system_dark"  # the system colour scheme seen at the last start


def ensure_app(first_frame: bool = False) -> QApplication:
    """The application with its settings, theme and icon. With `first_frame` (start-up), the
    theme follows the system colour scheme seen last time and the icon is left out, both for
    finish_app() once the first frame is up."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        # argv[0] names the X11 window's instance (WM_CLASS): "leadgate", not __main__.py.
        app = theme.new_application([DESKTOP_FILE_NAME, *sys.argv[1:]])
    collect_on_ui_thread(app)
    configure_qt_settings()
    mode = Preferences.load().get("theme", "system")
    if first_frame:
        seen_dark = QSettings().value(SYSTEM_DARK_KEY, False, type=bool)
        theme.apply_theme(app, mode, system_dark=bool(seen_dark))
    else:
        theme.apply_theme(app, mode)
        set_window_icon(app)
    return app


def set_window_icon(app: QApplication) -> None:
    """The logo from the package's resources: PNGs at the usual sizes (no image plugin
    needed) and the SVG for any other size."""
    from PySide6.QtGui import QIcon

    from app.resources import icon_pngs, logo_svg

    icon = QIcon()
    for png in icon_pngs():
        icon.addFile(str(png))
    if logo_svg().is_file():
        icon.addFile(str(logo_svg()))
    app.setWindowIcon(icon)


def finish_app(app: QApplication) -> None:
    """What start-up leaves until the first frame is up: the window icon (an SVG, which loads
    Qt's SVG plugin), and the system colour scheme, repainting if it changed since last time."""
    set_window_icon(app)
    mode = Preferences.load().get("theme", "system")
    if mode == "system":
        dark = theme.system_prefers_dark()
        if dark != theme.colors().dark:
            theme.apply_theme(app, mode, system_dark=dark)
        QSettings().setValue(SYSTEM_DARK_KEY, dark)


def _accepted(dialog: QDialog) -> bool:
    """Run a modal dialog: did the user accept it?"""
    from PySide6.QtWidgets import QDialog

    return dialog.exec() == QDialog.DialogCode.Accepted


def _user_key(url_text: str) -> str:
    return f"user:{store_key(url_text)}"


def _store_text(store: Store) -> str:
    return store.url.render_as_string(hide_password=True)


def remembered_user(store: Store) -> UserInfo | None:
    from app.services.team import users as users_service

    ref = Preferences.load().get(_user_key(_store_text(store)))
    if not ref:
        return None
    with store.session() as session:
        return users_service.find_user(session, str(ref))


def remember_user(store: Store, user: UserInfo) -> None:
    Preferences.load().set(_user_key(_store_text(store)), user.email)


def pick_user(store: Store, clock: Clock, parent: QWidget | None = None) -> UserInfo | None:
    """The user for this workstation: the database login on PostgreSQL, else remembered,
    else asked (and on an empty store, the first user is created as its owner)."""
    from app.services.team import users as users_service
    from app.ui.startup import UserPickerDialog

    with store.session() as session:
        team = users_service.list_users(session)
        if not store.is_sqlite:
            from app.services.team.identity import pinned_member

            try:
                member, login = pinned_member(session, None)
            except ValueError as exc:  # an app login that is no team member
                from PySide6.QtWidgets import QMessageBox

                QMessageBox.critical(parent, "Not a team member", str(exc))
                return None
            if member is not None or not login.is_admin:
                return member
    if os.environ.get("LEADGATE_USER"):
        with store.session() as session:
            chosen = users_service.find_user(session, os.environ["LEADGATE_USER"])
        if chosen is not None:
            return chosen
    remembered = remembered_user(store)
    if remembered is not None:
        return remembered
    if not team:
        return _create_first_user(store, clock, parent)
    dialog = UserPickerDialog(team, parent=parent)
    if not _accepted(dialog) or dialog.selected() is None:
        return None
    user = dialog.selected()
    assert user is not None
    remember_user(store, user)
    return user


def _create_first_user(store: Store, clock: Clock, parent: QWidget | None) -> UserInfo | None:
    from app.services.team import users as users_service
    from app.store.db import unit_of_work
    from app.ui.startup import FirstUserDialog

    dialog = FirstUserDialog(parent)
    while _accepted(dialog):
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
    from app.credentials import get_password, keyring_status, set_password
    from app.store.db import StoreError, describe_url, open_store, parse_url, sqlite_path
    from app.ui.startup import PasswordDialog

    url = parse_url(url_text)
    password = None
    if url.get_backend_name() == "postgresql" and url.password is None:
        password = get_password(url)
    path = sqlite_path(url)
    create = path is not None and not path.exists() and _ask_to_create(path, parent)
    try:
        # Only the header here: the slower quick_check runs once the window is shown.
        return open_store(url, password=password, now=clock.now(), create=create, check="header")
    except StoreError as exc:
        if url.get_backend_name() != "postgresql" or "password" not in str(exc).lower():
            raise
    status = keyring_status()
    dialog = PasswordDialog(describe_url(url), status.available, parent)
    if not _accepted(dialog):
        raise StoreError("No password given for the team database.")
    password = dialog.password.text()
    store = open_store(url, password=password, now=clock.now())
    set_password(url, password)
    return store


def _ask_to_create(path: Path, parent: QWidget | None) -> bool:
    """The local store does not exist yet: create it only if the user says so."""
    if os.environ.get("LEADGATE_EXIT_WHEN_SHOWN"):
        return True  # benchmarks and scripts: nobody to ask
    from PySide6.QtWidgets import QMessageBox

    answer = QMessageBox.question(
        parent,
        "Create a new store?",
        f"There is no Leadgate store at\n{path}\n\nCreate a new, empty one there?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes,
    )
    return answer == QMessageBox.StandardButton.Yes


def build_window(
    store: Store, clock: Clock, user: UserInfo, window: MainWindow | None = None
) -> MainWindow:
    from app.ui.context import AppContext
    from app.ui.workers import TaskRunner

    runner = TaskRunner(store.session_factory)
    ctx = AppContext(store=store, clock=clock, user=user, tasks=runner)
    if not store.is_sqlite:
        ctx.how = f"PostgreSQL login {store.url.username or 'of this session'}"
    if window is None:
        window = MainWindow(ctx)
    else:
        window.attach(ctx)
    runner.setParent(window)
    if not store.is_sqlite:
        from app.ui.sync import LiveUpdates

        live = LiveUpdates(ctx, window)
        live.start()
        window.live_updates = live
    if store.read_only:
        from PySide6.QtWidgets import QLabel

        banner = QLabel("Read-only store: you can look, but changes cannot be saved.")
        banner.setObjectName("readOnlyBanner")
        window.statusBar().addPermanentWidget(banner)
    window.switch_user_handler = _switch_user
    window.connect_handler = _connect
    window.reopen_handler = _reopen
    return window


def _start_background_work(window: MainWindow) -> None:
    """The timer thread (SLA, stale, follow-up sweeps) and its alerts bell; on a local store,
    whatever indexing an import left undone when the app last closed (the views' indexes,
    the search index). Not part of build_window, so test windows do not sweep unless a test
    asks for it."""
    from app.store.bulk import catch_up_in_background
    from app.ui.alerts import install_alerts

    install_alerts(window)
    if window.ctx.store.is_sqlite and not window.ctx.store.read_only:
        catch_up_in_background(window.ctx.store.session_factory)


def _check_store(window: MainWindow) -> None:
    """SQLite's quick_check of a local store, behind the shown window (app.ui.store_check)."""
    from app.store.db import sqlite_path
    from app.ui.store_check import check_store_later

    path = sqlite_path(window.ctx.store.url)
    window.store_check = check_store_later(window, str(path) if path else None)


def _switch_user(window: MainWindow) -> None:
    from app.services.team import users as users_service
    from app.ui.startup import UserPickerDialog

    ctx = window.ctx
    if ctx.identity_fixed:  # a team database: you are your login
        return
    with ctx.store.session() as session:
        team = users_service.list_users(session)
    dialog = UserPickerDialog(team, current=ctx.user, parent=window)
    if _accepted(dialog) and dialog.selected() is not None:
        user = dialog.selected()
        assert user is not None
        remember_user(ctx.store, user)
        ctx.set_user(user, "switched on this workstation")


def _connect(window: MainWindow) -> None:
    from app.credentials import keyring_status, set_password
    from app.store.db import StoreError, open_store
    from app.ui.connect_dialog import ConnectDialog

    dialog = ConnectDialog(window.ctx.tasks, window.ctx.store.url, window)
    if not _accepted(dialog):
        return
    url, password = dialog.url(), dialog.password_text()
    try:
        store = open_store(url, password=password, now=window.ctx.clock.now())
    except StoreError as exc:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(window, "Cannot connect", str(exc))
        return
    saved = set_password(url, password) if password else False
    Preferences.load().set("store_url", url.render_as_string(hide_password=True))
    user = pick_user(store, window.ctx.clock, window)
    if user is None:
        store.dispose()
        return
    new_window = build_window(store, window.ctx.clock, user)
    _start_background_work(new_window)
    new_window.show()
    if password and not saved:
        new_window.statusBar().showMessage(keyring_status().message, 15000)
    _windows.append(new_window)
    window.close()


_windows: list[Any] = []


def run_gui(db_url: str | None = None, clock: Clock | None = None) -> int:
    if db_url is not None and not db_url.strip():
        print("leadgate: --db is empty: give a store URL, or leave it out.", file=sys.stderr)
        return 2
    url_text = resolve_store_url(db_url)
    returning = bool(os.environ.get("LEADGATE_USER") or Preferences.load().get(_user_key(url_text)))
    app = ensure_app(first_frame=returning)
    app.setApplicationVersion(__version__)
    shell: MainWindow | None = None
    if returning:
        # A returning user: show the frame now, then open the store behind it.
        shell = MainWindow()
        shell.show()
        app.processEvents()
        if os.environ.get("LEADGATE_EXIT_WHEN_SHOWN"):
            print(f"LEADGATE_SHELL {time.time():.6f}", flush=True)
        finish_app(app)
        shell.finish_frame()
    from app.clock import SystemClock
    from app.store.db import StoreError

    clock = clock or SystemClock()
    try:
        store = open_store_interactive(url_text, clock, shell)
    except StoreError as exc:
        print(f"leadgate: {exc}", file=sys.stderr)
        if os.environ.get("LEADGATE_EXIT_WHEN_SHOWN"):
            return 1  # benchmarks and scripts: no dialog to wait on
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(
            shell,
            "Leadgate cannot open its database",
            f"{exc}\n\nStart Leadgate with --db to use another store, or fix the problem "
            "and try again.",
        )
        return 1
    user = pick_user(store, clock, shell)
    if user is None:
        return 0
    window = build_window(store, clock, user, shell)
    _start_background_work(window)
    window.show()
    _check_store(window)
    _windows.append(window)
    if os.environ.get("LEADGATE_EXIT_WHEN_SHOWN"):
        _report_shown_and_quit(app, window)
    return app.exec()


def _report_shown_and_quit(app: QApplication, window: MainWindow) -> None:
    """For bench/startup.py: print when the first view has painted its data, then quit."""
    from PySide6.QtCore import QTimer

    def done() -> None:
        if window.ctx.tasks.busy:
            QTimer.singleShot(5, done)
            return
        app.processEvents()
        window.repaint()
        peak_kb = 0
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak_kb = int(line.split()[1])
        except OSError:
            pass
        print(f"LEADGATE_SHOWN {time.time():.6f} {peak_kb}", flush=True)
        app.quit()

    QTimer.singleShot(0, done)


_restored: list[MainWindow] = []  # windows reopened after a restore, kept alive


def _reopen(store: Store, old: MainWindow) -> MainWindow | None:
    """A window like `old` on the reopened store, as the same person if the restored store
    knows them, else whoever the user picks."""
    from app.services.team import users as users_service
    from app.ui.alerts import install_alerts

    ctx = old.ctx
    with store.session() as session:
        user = users_service.find_user(session, ctx.user.email)
    if user is None:
        user = pick_user(store, ctx.clock)
    if user is None:  # nobody picked: as at start-up, Leadgate ends
        store.dispose()
        return None
    window = build_window(store, ctx.clock, user)
    if old.switch_user_handler is not None:
        window.switch_user_handler = old.switch_user_handler
    if old.connect_handler is not None:
        window.connect_handler = old.connect_handler
    window.reopen_handler = old.reopen_handler
    if getattr(old, "alerts", None) is not None:  # the old window ran the timer sweep
        install_alerts(window)
    window.show()
    _restored.append(window)
    return window
