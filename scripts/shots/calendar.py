"""Shots of the calendar (month with the day agenda, week; light, and dark after a live theme
switch) and the alerts panel."""

from __future__ import annotations

from pathlib import Path

from scripts.screenshots import save, settle


def _wait(window, signal, ms: int = 5000) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    settle(window)


def capture(window, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    from app.services.timers.sweep import sweep
    from app.store.db import unit_of_work
    from app.ui.alerts import AlertCenter, AlertsPanel

    if "calendar" not in [s.key for s in window.specs]:
        return []
    written: list[Path] = []
    ctx = window.ctx
    # What the background timer would have raised by now, so the alert list has content.
    with unit_of_work(ctx.store.session_factory) as session:
        sweep(session, ctx.clock.now())

    view = window.show_view("calendar")
    settle(window)
    view.set_owner(None)
    _wait(window, view.loaded)
    planned = [f for f in view.agenda_model.rows() if f.status == "planned"]
    if planned:
        view.select_followup(planned[0].id)
    written.append(save(window, out / "calendar-month.png"))
    written.append(save(window, out / "calendar-month-1024.png", (1024, 640)))
    window.resize(1440, 900)
    view.set_mode("week")
    _wait(window, view.loaded)
    written.append(save(window, out / "calendar-week.png"))
    written.append(save(window, out / "calendar-week-1024.png", (1024, 640)))
    written.append(save(window, out / "calendar-week-1280.png", (1280, 800)))
    # View → Theme → Dark while the week is shown: the day headers follow at once.
    window.set_theme("dark")
    written.append(save(window, out / "calendar-week-dark.png"))
    view.set_mode("month")
    _wait(window, view.loaded)
    written.append(save(window, out / "calendar-month-1280-dark.png", (1280, 800)))
    window.set_theme("light")
    window.resize(1440, 900)
    settle(window)

    center = getattr(window, "alerts", None)
    if center is None:  # until the main window calls install_alerts, show it standalone
        center = AlertCenter(ctx)
    center.refresh()
    _wait(window, center.refreshed)
    panel = AlertsPanel(center)
    panel.resize(400, 560)
    panel.show()
    settle(window, 500)
    path = out / "alerts-panel.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    panel.grab().save(str(path))
    panel.close()
    written.append(path)
    return written
