"""The Leadgate window: navigation rail, the current view, the lead panel, menus, status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, QSize
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.config import Preferences
from app.ui import theme
from app.ui.views import ViewSpec, view_specs

if TYPE_CHECKING:
    from collections.abc import Callable

    # Only types: the shell is shown before SQLAlchemy and the services are imported.
    from PySide6.QtGui import QCloseEvent

    from app.store.db import Store
    from app.ui.context import AppContext
    from app.ui.detail_panel import DetailPanel


def set_enum(target: QObject, name: str, key: str) -> None:
    """Set an enum property by the name of its key, through Qt's meta-object system.

    The shell is painted before QtCore.Qt exists: PySide builds its ~150 Python enums on first
    use (~20 ms), so the frame sets e.g. alignment to "AlignCenter" instead of
    Qt.AlignmentFlag.AlignCenter.
    """
    if not target.setProperty(name, key):
        raise ValueError(f"{type(target).__name__}.{name} has no value {key!r}")


class MainWindow(QMainWindow):
    """Built in steps so start-up can show the shell at once: the frame (rail, menu bar,
    toolbar, status bar) needs no database; `finish_frame()` adds what the first paint does
    without (the menus' items, keyboard shortcuts); `attach(ctx)` adds the store-backed views
    and panel, finishing the frame first if need be."""

    def __init__(self, ctx: AppContext | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx: AppContext = None  # type: ignore[assignment]  # set by attach()
        self.setWindowTitle("Leadgate")
        self.setMinimumSize(QSize(960, 600))
        self.specs: list[ViewSpec] = view_specs()
        self.views: dict[str, QWidget] = {}
        # Set by the app: show the user picker, the Connect dialog.
        self.switch_user_handler: Callable[[MainWindow], None] | None = None
        self.connect_handler: Callable[[MainWindow], None] | None = None
        # Set by the app: a new window on a reopened store (after a restore), or None.
        self.reopen_handler: Callable[[Store, MainWindow], MainWindow | None] | None = None
        self.live_updates: Any = None  # set by the app on a shared store
        self.store_check: Any = None  # the background check of a local store (app.ui.store_check)

        central = QWidget()
        row = QVBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter()  # horizontal
        self.splitter.setChildrenCollapsible(True)
        self.splitter.setHandleWidth(1)
        row.addWidget(self.splitter)
        self.setCentralWidget(central)

        self.rail = self._build_rail()
        self.stack = QStackedWidget()
        self.loading = QLabel("Opening your store…")
        set_enum(self.loading, "alignment", "AlignCenter")
        self.loading.setProperty("secondary", True)
        self.stack.addWidget(self.loading)
        self.splitter.addWidget(self.rail)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)
        self.splitter.setCollapsible(1, False)

        self._build_menu_bar()
        self._build_toolbar()
        self._build_status_bar()
        self._restore_geometry()
        self.frame_finished = False
        if ctx is not None:
            self.attach(ctx)

    def finish_frame(self) -> None:
        """The menus' items and the keyboard shortcuts. Start-up calls this once the shell has
        painted: setting a shortcut makes PySide create QtCore.Qt (see set_enum)."""
        if self.frame_finished:
            return
        self.frame_finished = True
        self._build_menus()

    def attach(self, ctx: AppContext) -> None:
        """Connect the shell to an open store: views, lead panel, status."""
        from app.ui.detail_panel import DetailPanel

        self.finish_frame()
        self.ctx = ctx
        self.detail_panel: DetailPanel = DetailPanel(ctx)
        self.splitter.addWidget(self.detail_panel)
        self.splitter.setStretchFactor(2, 0)
        self.panel_action.toggled.connect(self.detail_panel.setVisible)
        from PySide6.QtCore import QByteArray

        sizes = QSettings().value("main/splitter")
        if isinstance(sizes, QByteArray) and not sizes.isEmpty():
            self.splitter.restoreState(sizes)
        else:
            self.splitter.setSizes([88, max(600, self.width() - 388), 300])
        for spec in self.specs:
            self.nav_buttons[spec.key].setIcon(theme.icon(spec.icon))
        ctx.events.status_message.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        ctx.events.user_changed.connect(lambda _u: self._update_status())
        self.switch_user_action.setVisible(not ctx.identity_fixed)
        ctx.events.show_leads.connect(self._show_leads)
        ctx.events.show_page.connect(self.show_view)
        ctx.tasks.busy_changed.connect(self.busy.setVisible)
        ctx.tasks.waiting_changed.connect(self.waiting_box.setVisible)
        ctx.tasks.notice.connect(self._show_waiting)
        self.stop_waiting_button.clicked.connect(ctx.tasks.stop_waiting)
        ctx.events.open_lead.connect(self.open_lead)
        for action in self._store_actions():
            action.setEnabled(True)
        for action in (self.backup_action, self.restore_action):
            action.setEnabled(True)
        self.new_lead_action.setIcon(theme.icon("account-plus-outline"))
        self.import_action.setIcon(theme.icon("file-import-outline"))
        from app.ui.importing import install_file_drop

        install_file_drop(self, ctx)
        self._update_status()
        if self.specs:
            self.show_view(self._initial_view())

    # -- building ---------------------------------------------------------------------------
    def _build_rail(self) -> QFrame:
        rail = QFrame()
        rail.setObjectName("NavRail")
        rail.setFixedWidth(88)
        layout = QVBoxLayout(rail)
        layout.setContentsMargins(8, 12, 8, 12)
        layout.setSpacing(4)
        brand = QLabel("Leadgate")
        set_enum(brand, "alignment", "AlignCenter")
        brand.setStyleSheet("font-weight: 700;")
        layout.addWidget(brand)
        layout.addSpacing(8)
        self.nav_group = QButtonGroup(self)
        self.nav_group.setExclusive(True)
        self.nav_buttons: dict[str, QToolButton] = {}
        for i, spec in enumerate(self.specs):
            button = QToolButton()
            button.setObjectName("NavButton")
            button.setText(spec.title)
            button.setIconSize(QSize(24, 24))
            set_enum(button, "toolButtonStyle", "ToolButtonTextUnderIcon")
            button.setCheckable(True)
            button.setFixedSize(QSize(72, 60))
            if i < 9:
                button.setToolTip(f"{spec.title} (Ctrl+{i + 1})")
            button.clicked.connect(lambda _c=False, key=spec.key: self.show_view(key))
            self.nav_group.addButton(button)
            self.nav_buttons[spec.key] = button
            layout.addWidget(button)  # as wide as the rail's inside: centred
        layout.addStretch(1)
        return rail

    def _build_menu_bar(self) -> None:
        """The menus' titles; finish_frame() fills them in."""
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.view_menu = bar.addMenu("&View")
        self.help_menu = bar.addMenu("&Help")
        # The toolbar's actions, disabled until a store is attached. Not QAction(text, self):
        # to rule out its icon overload PySide would create QIcon (~2 ms) before the first paint.
        self.new_lead_action = QAction(self)
        self.new_lead_action.setText("New lead…")
        self.new_lead_action.setEnabled(False)
        self.new_lead_action.triggered.connect(self.new_lead)
        self.import_action = QAction(self)
        self.import_action.setText("Import badge file…")
        self.import_action.setEnabled(False)
        self.import_action.setToolTip("Import a badge-scan or lead file (Ctrl+I, or drop it here)")
        self.import_action.triggered.connect(lambda: self.import_file())

    def _build_menus(self) -> None:
        from PySide6.QtGui import QActionGroup, QKeySequence

        self.new_lead_action.setShortcut(QKeySequence.StandardKey.New)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.file_menu.addAction(self.new_lead_action)
        self.file_menu.addAction(self.import_action)
        self.import_history_action = QAction("Import history…", self)
        self.import_history_action.triggered.connect(self.open_import_history)
        self.import_history_action.setEnabled(self.ctx is not None)
        self.file_menu.addAction(self.import_history_action)
        self.file_menu.addSeparator()
        self.connect_action = QAction("Connect to team database…", self)
        self.connect_action.triggered.connect(self._connect)
        self.switch_user_action = QAction("Switch user…", self)
        self.switch_user_action.triggered.connect(self._switch_user)
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in self._store_actions():
            action.setEnabled(self.ctx is not None)
        self.file_menu.addAction(self.connect_action)
        self.file_menu.addAction(self.switch_user_action)
        self.file_menu.addSeparator()
        self.backup_action = QAction("Back up store…", self)
        self.backup_action.triggered.connect(self._back_up)
        self.restore_action = QAction("Restore from backup…", self)
        self.restore_action.triggered.connect(self._restore)
        for action in (self.backup_action, self.restore_action):
            action.setEnabled(self.ctx is not None)
            self.file_menu.addAction(action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(quit_action)

        for i, spec in enumerate(self.specs):
            action = QAction(spec.title, self)
            if i < 9:
                action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _c=False, key=spec.key: self.show_view(key))
            self.view_menu.addAction(action)
            self.addAction(action)
        self.view_menu.addSeparator()
        self.panel_action = QAction("Lead panel", self)
        self.panel_action.setCheckable(True)
        self.panel_action.setChecked(True)
        self.panel_action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.view_menu.addAction(self.panel_action)
        find = QAction("Find", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(self._focus_search)
        self.addAction(find)
        theme_menu = self.view_menu.addMenu("Theme")
        group = QActionGroup(self)
        current = Preferences.load().get("theme", "system")
        for mode in ("system", "light", "dark"):
            action = QAction(mode.title(), self, checkable=True)
            action.setChecked(mode == current)
            action.triggered.connect(lambda _c=False, m=mode: self.set_theme(m))
            group.addAction(action)
            theme_menu.addAction(action)

        about = QAction("About Leadgate", self)
        about.triggered.connect(self._about)
        self.help_menu.addAction(about)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("MainToolBar")
        bar.setMovable(False)
        bar.setIconSize(QSize(18, 18))
        set_enum(bar, "toolButtonStyle", "ToolButtonTextBesideIcon")
        bar.addAction(self.new_lead_action)
        bar.addAction(self.import_action)
        self.addToolBar(bar)  # at the top
        self.toolbar = bar

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.store_label = QLabel()
        self.user_label = QLabel()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setFixedWidth(90)
        self.busy.setFixedHeight(10)
        self.busy.setTextVisible(False)
        self.busy.hide()
        # Shown while a change waits its turn behind another writer's import (app.ui.ops).
        self.waiting_box = QWidget()
        row = QHBoxLayout(self.waiting_box)
        row.setContentsMargins(0, 0, 0, 0)
        self.waiting_label = QLabel()
        self.stop_waiting_button = QToolButton()
        self.stop_waiting_button.setText("Stop waiting")
        self.stop_waiting_button.setToolTip("Give up the change waiting for the import to finish")
        row.addWidget(self.waiting_label)
        row.addWidget(self.stop_waiting_button)
        self.waiting_box.hide()
        status.addPermanentWidget(self.waiting_box)
        status.addPermanentWidget(self.busy)
        status.addPermanentWidget(self.user_label)
        status.addPermanentWidget(self.store_label)

    def _show_waiting(self, text: str) -> None:
        """The waiting line in full (the store label gives way while it shows)."""
        self.waiting_label.setText(text)
        self.waiting_box.setMinimumWidth(self.waiting_box.sizeHint().width())

    def _update_status(self) -> None:
        user = self.ctx.user
        self.user_label.setText(f"{user.name} · {user.role} — {self.ctx.how}")
        self.user_label.setToolTip(
            "On a team database you are your database login; the server enforces its role."
            if self.ctx.identity_fixed
            else "On this workstation's own store the member is chosen here (File > Switch user)."
        )
        self.store_label.setText(self.ctx.store.label)
        self.store_label.setToolTip(self.ctx.store.label)

    # -- behaviour --------------------------------------------------------------------------
    def show_view(self, key: str) -> QWidget:
        if self.ctx is None:
            raise RuntimeError("The window has no store yet")
        spec = next((s for s in self.specs if s.key == key), None)
        if spec is None:
            raise KeyError(f"No view '{key}'")
        view = self.views.get(key)
        if view is None:
            view = spec.factory(self.ctx)
            self.views[key] = view
            self.stack.addWidget(view)
        self.stack.setCurrentWidget(view)
        self.nav_buttons[key].setChecked(True)
        self.current_view_key = key
        activate = getattr(view, "activate", None)
        if callable(activate):
            activate()
        QSettings().setValue("main/view", key)
        return view

    LEAD_LIST_VIEW = "inbox"

    def _show_leads(self, spec: object) -> None:
        """A chart or alert asked for a list of leads: bring the lead list (the inbox)
        forward. A view created just now missed the signal, so it is handed the filter."""
        key = self.LEAD_LIST_VIEW
        if not any(s.key == key for s in self.specs):
            return
        created = key not in self.views
        view = self.show_view(key)
        show = getattr(view, "show_filtered", None)
        if created and callable(show):
            show(spec)

    def current_view(self) -> QWidget | None:
        return self.stack.currentWidget()

    def _initial_view(self) -> str:
        remembered = QSettings().value("main/view", "")
        keys = [s.key for s in self.specs]
        return remembered if remembered in keys else keys[0]

    def _focus_search(self) -> None:
        focus = getattr(self.current_view(), "focus_search", None)
        if callable(focus):
            focus()

    def set_theme(self, mode: str) -> None:
        Preferences.load().set("theme", mode)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_theme(app, mode)
        if self.ctx is not None:
            for spec in self.specs:
                self.nav_buttons[spec.key].setIcon(theme.icon(spec.icon))
            self.new_lead_action.setIcon(theme.icon("account-plus-outline"))
            self.import_action.setIcon(theme.icon("file-import-outline"))

    def _store_actions(self) -> tuple[QAction, ...]:
        return (
            self.connect_action,
            self.switch_user_action,
            self.new_lead_action,
            self.import_action,
        )

    def open_import_history(self) -> QWidget:
        """File → Import history: batches, where their leads went, undo."""
        from PySide6.QtCore import Qt

        from app.ui.importing.history_dialog import ImportHistoryDialog

        dialog = ImportHistoryDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def import_file(self, path: str | None = None) -> QWidget:
        """The badge-scan import wizard, on `path` when given (a dropped file)."""
        from app.ui.importing import open_import_wizard

        return open_import_wizard(self.ctx, self, path)

    def open_lead(self, lead_id: int) -> None:
        """Bring a lead to the front (from an alert, a notification, a chart)."""
        self.panel_action.setChecked(True)
        self.detail_panel.show()
        self.ctx.events.lead_selected.emit(lead_id)
        self.raise_()
        self.activateWindow()

    def new_lead(self) -> None:
        from app.ui.leads.new_lead import NewLeadDialog

        NewLeadDialog(self.ctx, self).open()

    def _switch_user(self) -> None:
        if self.switch_user_handler is not None:
            self.switch_user_handler(self)

    def _connect(self) -> None:
        if self.connect_handler is not None:
            self.connect_handler(self)

    def _about(self) -> None:
        from app.ui.about import AboutDialog, AboutInfo

        AboutDialog(AboutInfo.for_store(self.ctx.store if self.ctx else None), self).open()

    def _back_up(self) -> None:
        from app.ui.backup_dialog import back_up_from_window

        back_up_from_window(self)

    def _restore(self) -> None:
        from app.ui.backup_dialog import open_restore_dialog

        open_restore_dialog(self)

    def _restore_geometry(self) -> None:
        from PySide6.QtCore import QByteArray

        settings = QSettings()
        geometry = settings.value("main/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = QSettings()
        settings.setValue("main/geometry", self.saveGeometry())
        if self.live_updates is not None:
            self.live_updates.stop()
        if self.ctx is not None:
            settings.setValue("main/splitter", self.splitter.saveState())
            self.ctx.tasks.wait(5000)
        super().closeEvent(event)
