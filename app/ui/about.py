"""Help > About Leadgate: the version, the store, its schema, and where data and backups live."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import URL

from app import __version__
from app.config import config_dir, data_dir
from app.migrations import HEAD_REVISION
from app.store.db import Store, describe_url


@dataclass(frozen=True)
class AboutInfo:
    """What the dialog shows, as plain text (never a password)."""

    version: str
    store: str
    schema: str
    data_folder: Path
    backups: str  # the folder, or who makes them for a shared database
    settings_folder: Path

    @classmethod
    def for_store(cls, store: Store | None) -> AboutInfo:
        if store is None:
            return cls(
                __version__, "No store open", "—", data_dir(), "—", config_dir()
            )  # fmt: skip
        return cls(
            version=__version__,
            store=store_text(store.url),
            schema=schema_text(store_revision(store)),
            data_folder=data_dir(),
            backups=backups_text(store.url),
            settings_folder=config_dir(),
        )


def store_text(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"Local file {describe_url(url)}"
    return f"Team database {describe_url(url)}"  # describe_url hides any password


def store_revision(store: Store) -> str | None:
    from app.store.db import schema_status

    try:
        return schema_status(store.engine).store_revision
    except Exception:  # a store gone away must not stop About from opening
        return None


def schema_text(revision: str | None) -> str:
    if revision is None:
        return f"unknown (this version opens schema {HEAD_REVISION})"
    if revision == HEAD_REVISION:
        return f"{revision} (current)"
    return f"{revision} (this version: {HEAD_REVISION})"


def backups_text(url: URL) -> str:
    if url.get_backend_name() == "sqlite" and url.database:
        return str(Path(url.database).expanduser().resolve().parent)
    return "Made by the team database's admin (e.g. pg_dump)"


class AboutDialog(QDialog):
    def __init__(self, info: AboutInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.setWindowTitle("About Leadgate")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 16)
        layout.setSpacing(16)

        head = QHBoxLayout()
        head.setSpacing(16)
        logo = QLabel()
        icon = self.windowIcon()
        if not icon.isNull():
            logo.setPixmap(icon.pixmap(64, 64))
        else:
            logo.setPixmap(QPixmap())
        logo.setFixedSize(64, 64)
        head.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.title = QLabel(f"Leadgate {info.version}")
        self.title.setStyleSheet("font-size: 18px; font-weight: 700;")
        tagline = QLabel("A CRM for small B2B sales teams.")
        tagline.setProperty("secondary", True)
        titles.addWidget(self.title)
        titles.addWidget(tagline)
        titles.addStretch(1)
        head.addLayout(titles, 1)
        layout.addLayout(head)

        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(8)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLabel] = {}
        for key, label, value in (
            ("store", "Store", info.store),
            ("schema", "Schema revision", info.schema),
            ("data", "Data folder", str(info.data_folder)),
            ("backups", "Backups", info.backups),
            ("settings", "Settings folder", str(info.settings_folder)),
        ):
            field = QLabel(value)
            field.setWordWrap(True)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = field
            form.addRow(label, field)
        layout.addLayout(form)

        runtime = QLabel(
            f"Python {platform.python_version()} · Qt {_qt_version()} · {platform.system()}"
        )
        runtime.setProperty("secondary", True)
        layout.addWidget(runtime)

        buttons = QDialogButtonBox()
        self.open_folder = buttons.addButton(
            "Open data folder", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.open_folder.clicked.connect(self._open_data_folder)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setProperty("primary", True)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def text(self) -> str:
        """Everything the dialog says, as one string (tests, copy to clipboard)."""
        return "\n".join([self.title.text(), *(f"{k}: {f.text()}" for k, f in self.fields.items())])

    def _open_data_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.info.data_folder)))


def _qt_version() -> str:
    from PySide6.QtCore import qVersion

    return qVersion()
