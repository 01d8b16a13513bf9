"""First-start dialogs: who is using this workstation, and which team database to use."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.services.team.users import UserInfo


def dialog_frame(dialog: QDialog, title: str, width: int, intro: str) -> QVBoxLayout:
    """The frame every small dialog shares: title, width, margins on the 4 px grid, and a
    wrapped introduction saying what the dialog is for."""
    dialog.setWindowTitle(title)
    dialog.setMinimumWidth(width)
    layout = QVBoxLayout(dialog)
    layout.setContentsMargins(16, 16, 16, 16)
    layout.setSpacing(12)
    label = QLabel(intro)
    label.setWordWrap(True)
    layout.addWidget(label)
    return layout


def primary_buttons(dialog: QDialog, label: str) -> QDialogButtonBox:
    """OK (renamed to the action, styled primary) and Cancel, wired to accept/reject."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(label)
    ok.setProperty("primary", True)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class UserPickerDialog(QDialog):
    """Pick who is working at this workstation (local stores and shared workstations)."""

    def __init__(
        self, users: list[UserInfo], current: UserInfo | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        layout = dialog_frame(
            self,
            "Who is using Leadgate?",
            420,
            "Pick your name. Your leads, alerts and follow-ups are shown for you, and what "
            "you change is recorded under your name.",
        )
        self.combo = QComboBox()
        for user in users:
            territory = f", {user.territory}" if user.territory else ""
            self.combo.addItem(f"{user.name} ({user.role}{territory})", user.id)
        if current is not None:
            self.combo.setCurrentIndex(max(0, self.combo.findData(current.id)))
        layout.addWidget(self.combo)
        layout.addWidget(primary_buttons(self, "Continue"))
        self._users = {u.id: u for u in users}

    def selected(self) -> UserInfo | None:
        return self._users.get(self.combo.currentData())


class FirstUserDialog(QDialog):
    """An empty store has no team yet: the first person becomes its owner."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = dialog_frame(
            self,
            "Welcome to Leadgate",
            440,
            "This store has no team yet. Enter your name and e-mail: you will be its owner "
            "and can add your reps later.",
        )
        form = QFormLayout()
        self.name = QLineEdit()
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@company.com")
        form.addRow("Name", self.name)
        form.addRow("E-mail", self.email)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setProperty("secondary", True)
        layout.addWidget(self.error)
        layout.addWidget(primary_buttons(self, "Create my user"))


class PasswordDialog(QDialog):
    def __init__(self, where: str, saved: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        note = (
            "It will be kept in the system keyring."
            if saved
            else "No system keyring is available: the password will not be saved, and you "
            "will be asked again next time."
        )
        layout = dialog_frame(self, "Team database password", 420, f"Password for {where}.\n{note}")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        layout.addWidget(self.password)
        layout.addWidget(primary_buttons(self, "Connect"))


def port_box(value: int = 5432) -> QSpinBox:
    box = QSpinBox()
    box.setRange(1, 65535)
    box.setValue(value)
    box.setAlignment(Qt.AlignmentFlag.AlignLeft)
    return box
