"""The one place colours, fonts and icons come from. Widgets never hard-code a colour."""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

# Start-up paints the window's frame with this module loaded, so it creates only the Qt types
# that painting needs (QPalette, QColor), when it needs them: PySide builds each type's Python
# enums on first use, and QtCore.Qt alone (~150 enums) costs ~20 ms (bench/startup.py).
if TYPE_CHECKING:
    from PySide6.QtGui import QColor, QIcon
    from PySide6.QtWidgets import QApplication

TIERS = ("Urgent", "High", "Medium", "Low")


class Colors(NamedTuple):
    dark: bool
    window: str
    surface: str  # cards, panels
    surface_alt: str  # columns, rails
    border: str
    text: str
    text_secondary: str
    accent: str
    accent_text: str
    danger: str
    warning: str
    success: str
    highlight_drop: str
    tier: dict[str, str]
    tier_bg: dict[str, str]

    def q(self, name: str) -> QColor:
        from PySide6.QtGui import QColor

        return QColor(getattr(self, name))

    def tier_color(self, tier: str | None) -> QColor:
        from PySide6.QtGui import QColor

        return QColor(self.tier.get(tier or "", self.text_secondary))

    def tier_background(self, tier: str | None) -> QColor:
        from PySide6.QtGui import QColor

        return QColor(self.tier_bg.get(tier or "", self.surface_alt))


LIGHT = Colors(
    dark=False,
    window="#f5f6f8",
    surface="#ffffff",
    surface_alt="#eceff3",
    border="#d5dae1",
    text="#1f2933",
    text_secondary="#6b7785",
    accent="#2563eb",
    accent_text="#ffffff",
    danger="#d92d20",
    warning="#dc6803",
    success="#079455",
    highlight_drop="#dbe7fe",
    tier={"Urgent": "#d92d20", "High": "#e8590c", "Medium": "#2563eb", "Low": "#667085"},
    tier_bg={"Urgent": "#fee4e2", "High": "#ffead5", "Medium": "#dbe7fe", "Low": "#eaecf0"},
)

DARK = Colors(
    dark=True,
    window="#16191d",
    surface="#1f2328",
    surface_alt="#262b31",
    border="#373e47",
    text="#e6e9ed",
    text_secondary="#98a2b3",
    accent="#4c8dff",
    accent_text="#ffffff",
    danger="#f97066",
    warning="#fd853a",
    success="#32d583",
    highlight_drop="#1d3260",
    tier={"Urgent": "#f97066", "High": "#fd853a", "Medium": "#6ea0ff", "Low": "#98a2b3"},
    tier_bg={"Urgent": "#55160c", "High": "#4d2b0f", "Medium": "#172b52", "Low": "#30363d"},
)

_current: Colors = LIGHT


def colors() -> Colors:
    return _current


def system_prefers_dark() -> bool:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return bool(scheme and scheme() == Qt.ColorScheme.Dark)


_fusion_app: QApplication | None = None  # the application whose style is already Fusion


def new_application(argv: list[str]) -> QApplication:
    """The QApplication, created in Fusion. Cheaper at start-up than setStyle("Fusion"), whose
    return value makes PySide build the Python QStyle types (~8 ms) before the first paint."""
    global _fusion_app
    from PySide6.QtWidgets import QApplication

    _fusion_app = QApplication([*argv, "-style", "Fusion"])
    return _fusion_app


def apply_theme(app: QApplication, mode: str = "system", system_dark: bool | None = None) -> Colors:
    """Fusion with our palette. `mode` is light, dark or system. For system, `system_dark`
    stands in for asking the platform when given (start-up paints its first frame with the
    scheme seen last time and checks later: asking creates QtCore.Qt, see above)."""
    global _current, _fusion_app
    from PySide6.QtGui import QColor, QPalette

    if mode == "system":
        dark = system_prefers_dark() if system_dark is None else system_dark
    else:
        dark = mode == "dark"
    _current = DARK if dark else LIGHT
    c = _current
    if app is not _fusion_app:
        app.setStyle("Fusion")
        _fusion_app = app
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: c.window,
        QPalette.ColorRole.WindowText: c.text,
        QPalette.ColorRole.Base: c.surface,
        QPalette.ColorRole.AlternateBase: c.surface_alt,
        QPalette.ColorRole.Text: c.text,
        QPalette.ColorRole.Button: c.surface,
        QPalette.ColorRole.ButtonText: c.text,
        QPalette.ColorRole.Highlight: c.accent,
        QPalette.ColorRole.HighlightedText: c.accent_text,
        QPalette.ColorRole.ToolTipBase: c.surface,
        QPalette.ColorRole.ToolTipText: c.text,
        QPalette.ColorRole.PlaceholderText: c.text_secondary,
        QPalette.ColorRole.Link: c.accent,
        QPalette.ColorRole.Mid: c.border,
        QPalette.ColorRole.Midlight: c.surface_alt,
    }
    for role, value in roles.items():
        pal.setColor(role, QColor(value))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(c.text_secondary))
    app.setPalette(pal)
    app.setStyleSheet(style_sheet(c))
    _notify()
    return c


# Widgets that bake colours into their own style sheets or icons re-apply them here when the
# theme changes at run time (View → Theme), so nothing is left in the old palette.
_listeners: list[weakref.WeakMethod[Callable[[], None]]] = []


def on_change(method: Callable[[], None]) -> None:
    """Call the bound `method` after every theme change, while its object lives."""
    _listeners.append(weakref.WeakMethod(method))  # type: ignore[arg-type]


def _notify() -> None:
    alive = []
    for ref in list(_listeners):
        method = ref()
        if method is None:
            continue
        try:
            method()
        except RuntimeError:  # the Qt object behind it is gone
            continue
        alive.append(ref)
    _listeners[:] = alive


def style_sheet(c: Colors) -> str:
    return f"""
    QToolTip {{ color: {c.text}; background: {c.surface}; border: 1px solid {c.border};
               padding: 4px 6px; }}
    QFrame#NavRail {{ background: {c.surface_alt}; border-right: 1px solid {c.border}; }}
    QToolButton#NavButton {{ border: none; border-radius: 8px; padding: 8px 4px;
                             color: {c.text_secondary}; font-size: 11px; }}
    QToolButton#NavButton:hover {{ background: {c.border}; }}
    QToolButton#NavButton:checked {{ background: {c.surface}; color: {c.accent};
                                     font-weight: 600; }}
    QLabel#ViewTitle {{ font-size: 18px; font-weight: 600; }}
    QLabel#Secondary, QLabel[secondary="true"] {{ color: {c.text_secondary}; }}
    QLabel#SectionTitle {{ font-weight: 600; color: {c.text_secondary};
                           text-transform: uppercase; font-size: 11px; }}
    QFrame#DetailPanel {{ background: {c.surface}; border-left: 1px solid {c.border}; }}
    QTableView {{ gridline-color: {c.border}; border: 1px solid {c.border};
                  selection-background-color: {c.highlight_drop}; selection-color: {c.text}; }}
    QHeaderView::section {{ background: {c.surface_alt}; color: {c.text_secondary};
                            border: none; border-bottom: 1px solid {c.border};
                            border-right: 1px solid {c.border}; padding: 4px 8px;
                            font-weight: 600; }}
    QLineEdit, QPlainTextEdit, QTextEdit {{ border: 1px solid {c.border}; border-radius: 6px;
                                           padding: 4px 8px; background: {c.surface}; }}
    QComboBox {{ padding: 4px 8px; min-height: 20px; }}
    /* Spin and date boxes keep Fusion's own frame: a styled border hides their text and
       breaks the step buttons. Only the height is matched to line edits. */
    QSpinBox, QDoubleSpinBox, QDateEdit, QDateTimeEdit {{ min-height: 24px; }}
    QLineEdit:focus, QPlainTextEdit:focus {{ border-color: {c.accent}; }}
    QPushButton {{ border: 1px solid {c.border}; border-radius: 6px; padding: 6px 14px;
                   background: {c.surface}; }}
    QPushButton:hover {{ border-color: {c.accent}; }}
    QPushButton[primary="true"] {{ background: {c.accent}; color: {c.accent_text};
                                   border-color: {c.accent}; font-weight: 600; }}
    QPushButton[danger="true"] {{ background: {c.danger}; color: #ffffff;
                                  border-color: {c.danger}; font-weight: 600; }}
    QPushButton:disabled {{ color: {c.text_secondary}; background: {c.surface_alt}; }}
    QPushButton#Chip {{ border-radius: 12px; padding: 3px 10px; }}
    QPushButton[compact="true"] {{ padding: 4px 8px; }}
    QPushButton#Chip:checked {{ background: {c.highlight_drop}; border-color: {c.accent};
                                color: {c.accent}; font-weight: 600; }}
    /* A visible focus ring for keyboard users (Tab): same size, a thicker accent border. */
    QPushButton:focus {{ border: 2px solid {c.accent}; padding: 5px 13px; }}
    QPushButton#Chip:focus {{ padding: 2px 9px; }}
    QPushButton[compact="true"]:focus {{ padding: 3px 7px; }}
    QToolButton:focus {{ border: 2px solid {c.accent}; border-radius: 6px; }}
    QComboBox:focus {{ border: 2px solid {c.accent}; border-radius: 6px; padding: 3px 7px; }}
    QCheckBox:focus, QRadioButton:focus {{ color: {c.accent}; }}
    QStatusBar {{ background: {c.surface_alt}; border-top: 1px solid {c.border};
                  color: {c.text_secondary}; }}
    QStatusBar QLabel {{ color: {c.text_secondary}; padding: 0 8px; }}
    QMenuBar {{ background: {c.window}; }}
    QToolBar {{ background: {c.window}; border: none; spacing: 4px; padding: 2px 8px; }}
    QProgressBar {{ border: 1px solid {c.border}; border-radius: 4px; text-align: center;
                    background: {c.surface_alt}; height: 14px; }}
    QProgressBar::chunk {{ background: {c.accent}; border-radius: 3px; }}
    QFrame#AgendaPanel, QFrame#ActionBar, QFrame#AlertsPanel {{ background: {c.surface};
        border: 1px solid {c.border}; border-radius: 8px; }}
    QFrame#DayColumn QScrollBar:vertical {{ width: 6px; background: transparent; margin: 0; }}
    QFrame#DayColumn QScrollBar::handle:vertical {{ background: {c.border}; border-radius: 3px;
        min-height: 24px; }}
    QFrame#DayColumn QScrollBar::add-line, QFrame#DayColumn QScrollBar::sub-line {{
        height: 0; }}
    QFrame#DayColumn QScrollBar::add-page, QFrame#DayColumn QScrollBar::sub-page {{
        background: transparent; }}
    """


ICON_PIXELS = 64
_icons: dict[tuple[str, str], QIcon] = {}


def icon(name: str, color: str | None = None) -> QIcon:
    """An icon from the one icon set we use (Material Design Icons via qtawesome).

    Loading qtawesome's fonts costs most of a second, so each icon is rendered once per
    colour into the cache folder and later starts load the small PNG instead.
    """
    color = color or _current.text_secondary
    key = (name, color)
    cached = _icons.get(key)
    if cached is not None:
        return cached
    from app.config import cache_dir

    path = cache_dir() / "icons" / f"mdi6-{name}-{color.lstrip('#')}.png"
    if path.exists():
        from PySide6.QtGui import QIcon

        result = QIcon(str(path))
    else:
        import qtawesome

        result = qtawesome.icon(f"mdi6.{name}", color=color)
        path.parent.mkdir(parents=True, exist_ok=True)
        pixmap = result.pixmap(ICON_PIXELS, ICON_PIXELS)
        if not pixmap.isNull():
            pixmap.save(str(path), "PNG")
    _icons[key] = result
    return result


def money(value: float | None) -> str:
    if value is None:
        return "–"
    if not math.isfinite(value):  # an old row stored before numbers were checked
        return "—"
    if abs(value) >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"${value / 1000:.0f}k"
    return f"${value:,.0f}"
