"""Shots of the lead panel as a rep works a lead: the timeline (a note, a logged call with
its outcome and the next step), an inline editor open on a field, and the log dialog."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from scripts.screenshots import save, settle


def _prepare(window) -> int:  # type: ignore[no-untyped-def]
    """An open lead of the rep's with a note and a logged call on its timeline."""
    from sqlalchemy import select

    from app.models import Lead
    from app.services.activities import api as activities_api

    ctx = window.ctx
    with ctx.store.session() as session:
        lead_id = session.scalar(
            select(Lead.id)
            .where(Lead.owner_id == ctx.user.id, Lead.status == "open")
            .order_by(Lead.score.desc())
            .limit(1)
        )
    assert lead_id is not None
    activities_api.add_note(ctx.uow(), ctx.actor, lead_id, "Met at the booth; wants pricing.")
    activities_api.log_activity(
        ctx.uow(),
        ctx.actor,
        lead_id,
        "call",
        "left_voicemail",
        note="Asked for a call back after 2 pm.",
        next_at=ctx.clock.now() + timedelta(days=1),
    )
    return int(lead_id)


def capture(window, out: Path, suffix: str = "") -> list[Path]:  # type: ignore[no-untyped-def]
    from PySide6.QtTest import QTest

    from app.ui.detail_actions import RecordActionsSection
    from app.ui.detail_facts import FactsSection

    lead_id = _prepare(window)
    window.show_view("inbox")
    window.ctx.events.lead_selected.emit(lead_id)
    settle(window)
    panel = window.detail_panel
    facts = next(s for s in panel.sections if isinstance(s, FactsSection))
    actions = next(s for s in panel.sections if isinstance(s, RecordActionsSection))
    shots = []
    for size in ((1440, 900), (1280, 720)):
        window.resize(*size)
        settle(window)
        from PySide6.QtWidgets import QScrollArea

        area = panel.findChild(QScrollArea)
        facts.field("budget").start_edit()
        QTest.qWait(100)
        area.ensureWidgetVisible(facts.field("budget"), 50, 200)
        shots.append(save(window, out / f"lead-panel-edit{suffix}-{size[0]}.png", size))
        facts.field("budget").cancel()
        # the timeline: scroll the panel to its bottom
        area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
        shots.append(save(window, out / f"lead-panel-timeline{suffix}-{size[0]}.png", size))
        area.verticalScrollBar().setValue(0)
    actions.log("call")
    dialog = actions.log_dialog
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("left_voicemail"))
    dialog.note.setPlainText("Asked for a call back after 2 pm.")
    dialog.show()
    QTest.qWait(150)
    path = out / f"log-activity-dialog{suffix}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(path))
    shots.append(path)
    dialog.reject()
    return shots
