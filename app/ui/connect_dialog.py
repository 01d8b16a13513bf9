"""Connect to team database: host, port, database, user, password, TLS, and a test button."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)
from sqlalchemy.engine import URL

from app.credentials import keyring_status
from app.store.db import build_pg_url, test_connection
from app.ui import theme
from app.ui.startup import dialog_frame, port_box
from app.ui.workers import TaskError, TaskRunner

TLS_MODES = [
    ("prefer", "Use TLS when the server offers it"),
    ("require", "Require TLS"),
    ("verify-full", "Require TLS and verify the server certificate"),
    ("disable", "No TLS (local network only)"),
]


class ConnectDialog(QDialog):
    def __init__(
        self, runner: TaskRunner, current: URL | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        layout = dialog_frame(
            self,
            "Connect to team database",
            520,
            "Share one PostgreSQL database with your team: everyone sees the same leads, "
            "live. Your administrator gives you these details.",
        )
        form = QFormLayout()
        form.setVerticalSpacing(8)
        pg = current if current is not None and current.get_backend_name() == "postgresql" else None
        self.host = QLineEdit(pg.host or "" if pg else "")
        self.host.setPlaceholderText("crm.example.com")
        self.port = port_box(pg.port or 5432 if pg else 5432)
        self.database = QLineEdit(pg.database or "" if pg else "leadgate")
        self.user = QLineEdit(pg.username or "" if pg else "")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        status = keyring_status()
        self.password.setPlaceholderText(
            "kept in the system keyring" if status.available else "not saved (no keyring)"
        )
        self.tls = QComboBox()
        for mode, label in TLS_MODES:
            self.tls.addItem(label, mode)
        if pg is not None:
            self.tls.setCurrentIndex(max(0, self.tls.findData(pg.query.get("sslmode", "prefer"))))
        form.addRow("Server", self.host)
        form.addRow("Port", self.port)
        form.addRow("Database", self.database)
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        form.addRow("TLS", self.tls)
        layout.addLayout(form)
        self.keyring_note = QLabel(status.message)
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setProperty("secondary", True)
        layout.addWidget(self.keyring_note)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        layout.addWidget(self.result_label)
        buttons = QDialogButtonBox()
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test)
        buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.connect_button = buttons.addButton("Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.connect_button.setProperty("primary", True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.tested_ok: bool | None = None

    def url(self) -> URL:
        return build_pg_url(
            self.host.text().strip(),
            self.port.value(),
            self.database.text().strip(),
            self.user.text().strip(),
            str(self.tls.currentData()),
        )

    def password_text(self) -> str | None:
        return self.password.text() or None

    def _missing(self) -> str | None:
        for widget, name in (
            (self.host, "server"),
            (self.database, "database"),
            (self.user, "user"),
        ):
            if not widget.text().strip():
                return f"Enter the {name}."
        return None

    def test(self) -> None:
        missing = self._missing()
        if missing:
            self._show(False, missing)
            return
        self.test_button.setEnabled(False)
        self.result_label.setText("Testing…")
        url, password = self.url(), self.password_text()
        self.runner.submit(
            lambda: test_connection(url, password),
            with_session=False,
            on_done=lambda r: self._show(*r),
            on_error=lambda e: self._show(False, self._error_text(e)),
            key="connect-test",
        )

    @staticmethod
    def _error_text(error: TaskError) -> str:
        return error.message

    def _show(self, ok: bool, message: str) -> None:
        self.tested_ok = ok
        self.test_button.setEnabled(True)
        c = theme.colors()
        self.result_label.setStyleSheet(f"color: {c.success if ok else c.danger};")
        self.result_label.setText(message)

    def _accept(self) -> None:
        missing = self._missing()
        if missing:
            self._show(False, missing)
            return
        self.accept()
