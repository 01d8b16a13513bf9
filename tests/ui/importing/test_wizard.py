"""The import wizard, walked end to end the way a user would."""

from __future__ import annotations

import csv
import shutil

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget
from sqlalchemy import func, select

from app.models import ImportBatch, Lead
from app.services.changes import Changes
from app.services.importing.api import IMPORT_CHANGES
from app.services.team.users import UserInfo, find_user
from app.ui.context import AppContext
from app.ui.importing import install_file_drop, open_import_wizard
from app.ui.importing.models import COL_FIELD, MappingModel, PreviewModel, ProblemsModel
from app.ui.importing.wizard import P_COLUMNS, P_DEFAULTS, P_DONE, P_REVIEW, P_SETTINGS
from app.ui.workers import TaskRunner
from tests.unit.importing.actors import MANAGER_EMAIL, REP_EMAIL, add_team
from tests.unit.importing.helpers import samples_dir


@pytest.fixture
def ctx(sqlite_store, clock, qtbot):
    tasks = TaskRunner(sqlite_store.session_factory)
    user = UserInfo(id=None, name="Test", email="t@example.com", role="owner", territory=None,
                    capacity=0, available=True)  # fmt: skip
    yield AppContext(sqlite_store, clock, user, tasks)
    tasks.wait()


def _leads(store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Lead)))


def test_wizard_walkthrough_import_error_file_and_undo(ctx, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "messy.csv"
    shutil.copyfile(samples_dir() / "messy_hostile.csv", path)
    wizard = open_import_wizard(ctx, None, str(path))
    qtbot.addWidget(wizard)
    qtbot.waitUntil(lambda: wizard.page == P_SETTINGS, timeout=20000)
    assert "UTF-8" in wizard.settings_page.detected_label.text()
    assert wizard.settings_page.preview_model.rowCount() > 10
    assert wizard.settings_page.preview_model.headerData(2, Qt.Orientation.Horizontal) == "Email"

    # Override the delimiter: the preview follows; then back to the detected one.
    wizard._override("delimiter", ";")
    qtbot.waitUntil(lambda: wizard.settings_page.preview_model.columnCount() < 6, timeout=20000)
    assert "Semicolon" in wizard.settings_page.detected_label.text()
    wizard._override("delimiter", ",")
    qtbot.waitUntil(lambda: wizard.settings_page.preview_model.columnCount() == 6, timeout=20000)

    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.page == P_COLUMNS
    model = wizard.columns_page.mapping_model
    assert model.fields()[2] == "email"
    assert "DIvanova@umbrella-health.org" in model.index(2, 1).data()
    # Unmap the notes column: kept in the raw row only.
    assert model.setData(model.index(5, COL_FIELD), "")
    assert "kept in each lead's raw row" in wizard.columns_page.mapping_hint.text()

    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.page == P_DEFAULTS
    wizard.defaults_page.event_edit.setText("Web Summit 2026")
    wizard.defaults_page.tags_edit.setText("booth-b12, follow-up")
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.page == P_REVIEW
    qtbot.waitUntil(lambda: wizard.review is not None, timeout=20000)
    assert wizard.review_page.review_cards["created"].value.text() == "57"
    assert wizard.review_page.review_cards["rejected"].value.text() == "3"
    assert wizard.next_button.text() == "Import 57 leads"
    problems = [wizard.review_page.problems_model.index(r, 1).data()
                for r in range(wizard.review_page.problems_model.rowCount())]  # fmt: skip
    assert sum(p.startswith("Rejected") for p in problems) == 3
    assert sum(p.startswith("Incomplete") for p in problems) == 7
    assert _leads(ctx.store) == 0  # the review saved nothing

    broadcast: list[Changes] = []
    ctx.events.changed.connect(broadcast.append)
    with qtbot.waitSignal(wizard.imported, timeout=30000):
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.page == P_DONE
    # One broadcast says what changed; every view refreshes from it.
    assert broadcast == [IMPORT_CHANGES]
    assert wizard.done_page.done_cards["created"].value.text() == "57"
    # Nobody on the team to route to: the page says so rather than "scored and routed".
    qtbot.waitUntil(lambda: wizard.done_page.routing_label.isVisible(), timeout=5000)
    assert wizard.done_page.routing_label.text().startswith(
        "All 57 new leads went to the manager's queue"
    )
    assert _leads(ctx.store) == 57
    with ctx.store.session() as s:
        lead = s.scalars(
            select(Lead).where(Lead.email_normalized == "divanova@umbrella-health.org")
        ).one()
        assert lead.event == "Web Summit 2026"
        assert lead.details["tags"] == ["booth-b12", "follow-up"]
        assert "notes" not in lead.qualifiers and lead.raw_row["Notes"] == "Just browsing"

    target = tmp_path / "rejected.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "CSV"))
    qtbot.mouseClick(wizard.done_page.error_file_button, Qt.MouseButton.LeftButton)
    with open(target, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:2] == ["row", "reason"] and len(rows) == 4

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(wizard.done_page.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.undo_result is not None, timeout=20000)
    assert "57 leads removed" in wizard.done_page.undo_label.text()
    assert _leads(ctx.store) == 0
    assert broadcast == [IMPORT_CHANGES, IMPORT_CHANGES]


def _import_as(ctx, qtbot, path):
    wizard = open_import_wizard(ctx, None, str(path))
    qtbot.addWidget(wizard)
    qtbot.waitUntil(lambda: wizard.page == P_SETTINGS, timeout=20000)
    wizard._go(P_REVIEW)
    qtbot.waitUntil(lambda: wizard.review is not None, timeout=20000)
    with qtbot.waitSignal(wizard.imported, timeout=30000):
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.page == P_DONE
    return wizard


def test_a_rep_imports_but_is_not_offered_undo(ctx, qtbot):
    _manager, rep = add_team(ctx.store)
    with ctx.store.session() as s:
        ctx.user = find_user(s, REP_EMAIL)
    wizard = _import_as(ctx, qtbot, samples_dir() / "standard_utf8.csv")
    assert wizard.import_result is not None and wizard.import_result.created > 0
    assert wizard.done_page.undo_button.isHidden()
    assert not wizard.done_page.show_button.isHidden()  # the rest of the page is there
    with ctx.store.session() as s:
        batch = s.get(ImportBatch, wizard.import_result.batch_id)
        assert batch is not None and batch.user_id == rep.user_id
    # A manager who opens the wizard is offered Undo.
    with ctx.store.session() as s:
        ctx.user = find_user(s, MANAGER_EMAIL)
    other = open_import_wizard(ctx, None, None)
    qtbot.addWidget(other)
    assert not other.done_page.undo_button.isHidden()


def test_cancel_midway_keeps_nothing(ctx, qtbot, tmp_path):
    from app.services.importing.synth import write_badge_csv

    path = write_badge_csv(tmp_path / "big.csv", 20000, seed=2)
    wizard = open_import_wizard(ctx, None, str(path))
    qtbot.addWidget(wizard)
    qtbot.waitUntil(lambda: wizard.page == P_SETTINGS, timeout=20000)
    wizard._go(P_REVIEW)
    qtbot.waitUntil(lambda: wizard.review is not None, timeout=60000)
    started = []
    wizard.import_page.import_bar.valueChanged.connect(lambda v: started.append(v))
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(v > 0 for v in started), timeout=60000)
    qtbot.mouseClick(wizard.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.page == P_REVIEW, timeout=60000)
    assert "cancelled" in wizard.review_page.review_label.text()
    assert _leads(ctx.store) == 0


def test_dropping_a_file_on_the_window_opens_the_wizard(ctx, qtbot, tmp_path):
    window = QWidget()
    qtbot.addWidget(window)
    flt = install_file_drop(window, ctx)
    assert window.acceptDrops()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(samples_dir() / "standard_utf8.csv"))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    # Qt only routes drops that come from a real drag session; hand it to the filter.
    assert flt.eventFilter(window, event)
    wizards = [w for w in window.findChildren(QWidget) if w.objectName() == "ImportWizard"]
    assert len(wizards) == 1
    qtbot.waitUntil(lambda: wizards[0].page == P_SETTINGS, timeout=20000)
    wizards[0].close()


def test_models_pass_the_model_tester(qtmodeltester):
    preview = PreviewModel()
    preview.set_table(["A", "B"], [["1", "2"], ["3"]], 2)
    qtmodeltester.check(preview)
    mapping = MappingModel()
    mapping.set_mapping(["Email", "X"], [["a@b.c"], []], ["email", None])
    qtmodeltester.check(mapping)
    problems = ProblemsModel()
    problems.set_rows([(3, "Rejected: x", "", "", "", "rejected")])
    qtmodeltester.check(problems)
    # One column per field: giving "email" to X takes it from Email.
    assert mapping.setData(mapping.index(1, COL_FIELD), "email")
    assert mapping.fields() == [None, "email"]
    assert not mapping.setData(mapping.index(1, COL_FIELD), "not-a-field")
