"""The overview strip at the top of Reports: the playbook's five funnel layers (capture,
qualify, assign, nurture, close), one key figure each, with its band where it has one."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.services.reports import metrics as m
from app.services.reports.overview import band_text
from app.ui.theme import colors

LAYERS = ("capture", "qualify", "assign", "nurture", "close")


class KpiTile(QFrame):
    def __init__(self, layer: str) -> None:
        super().__init__()
        self.layer = layer
        self.setObjectName("KpiTile")
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 8)
        box.setSpacing(1)
        self.layer_label = QLabel(layer.upper())
        self.layer_label.setObjectName("KpiLayer")
        self.value_label = QLabel("…")
        self.value_label.setObjectName("KpiValue")
        self.name_label = QLabel("")
        self.name_label.setObjectName("KpiName")
        self.detail_label = QLabel("")
        self.detail_label.setObjectName("KpiDetail")
        self.detail_label.setWordWrap(True)
        self.band_label = QLabel("")
        self.band_label.setObjectName("KpiBand")
        for label in (
            self.layer_label,
            self.value_label,
            self.name_label,
            self.detail_label,
            self.band_label,
        ):
            box.addWidget(label)
        box.addStretch(1)
        self.kpi: m.LayerKpi | None = None

    def set_kpi(self, kpi: m.LayerKpi) -> None:
        self.kpi = kpi
        self.value_label.setText(kpi.text)
        self.name_label.setText(kpi.label)
        self.detail_label.setText(kpi.detail)
        band = band_text(kpi)
        self.band_label.setText(f"Band {band} · {kpi.status}" if band and kpi.status else band)
        self.band_label.setVisible(bool(band))
        self.restyle()

    def restyle(self) -> None:
        c = colors()
        status = self.kpi.status if self.kpi else None
        mark = {"within": c.success, "below": c.warning, "above": c.warning}.get(status or "")
        self.setStyleSheet(
            f"QFrame#KpiTile {{ background: {c.surface}; border: 1px solid {c.border};"
            f" border-top: 3px solid {mark or c.accent}; border-radius: 8px; }}"
            f" QLabel {{ background: transparent; color: {c.text}; }}"
            f" QLabel#KpiLayer {{ color: {c.text_secondary}; font-size: 10px;"
            " font-weight: 600; letter-spacing: 1px; }"
            " QLabel#KpiValue { font-size: 20px; font-weight: 700; }"
            " QLabel#KpiName { font-weight: 600; }"
            f" QLabel#KpiDetail {{ color: {c.text_secondary}; font-size: 11px; }}"
            f" QLabel#KpiBand {{ color: {mark or c.text_secondary}; font-size: 11px;"
            " font-weight: 600; }"
        )


class OverviewStrip(QWidget):
    """Five tiles side by side; the finding (which layers are off the playbook) above them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        self.title_label = QLabel("…")
        self.title_label.setObjectName("OverviewTitle")
        self.title_label.setWordWrap(True)
        outer.addWidget(self.title_label)
        row = QHBoxLayout()
        row.setSpacing(10)
        self.tiles = {layer: KpiTile(layer) for layer in LAYERS}
        for tile in self.tiles.values():
            row.addWidget(tile, 1)
        outer.addLayout(row)
        self.result: m.Overview | None = None
        self.restyle()

    def set_overview(self, result: m.Overview) -> None:
        self.result = result
        self.title_label.setText(result.title)
        for kpi in result.layers:
            self.tiles[kpi.layer].set_kpi(kpi)

    def restyle(self) -> None:
        c = colors()
        self.title_label.setStyleSheet(
            f"color: {c.text}; font-size: 13px; font-weight: 600; background: transparent;"
        )
        for tile in self.tiles.values():
            tile.restyle()
