"""Step 3: which file column fills which lead field, and mapping presets."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QWidget,
)

from app.services.importing.mapping import Mapping, mapping_from_dict, suggest_mapping
from app.services.importing.prepare import Prepared
from app.services.importing.presets import PresetInfo
from app.services.importing.review import identity_mapped
from app.ui.importing.models import COL_FIELD, COL_SAMPLES, MappingModel
from app.ui.importing.widgets import FieldDelegate, Page, restyle, secondary, table_view, title


class ColumnsPage(Page):
    """Emits `mapping_changed` on every edit and `save_requested(name)` for "Save as preset"."""

    mapping_changed = Signal()
    save_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prepared: Prepared | None = None
        col = self.col
        col.addWidget(title("Match the columns"))
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(QLabel("Preset"))
        self.preset_box = QComboBox()
        self.preset_box.setMinimumWidth(220)
        self.preset_box.activated.connect(self._preset_chosen)
        top.addWidget(self.preset_box)
        self.save_preset_button = QPushButton("Save as preset…")
        self.save_preset_button.clicked.connect(self._ask_preset_name)
        top.addWidget(self.save_preset_button)
        top.addStretch(1)
        col.addLayout(top)
        self.preset_note = secondary()
        col.addWidget(self.preset_note)
        self.mapping_model = MappingModel(self)
        self.mapping_model.dataChanged.connect(lambda *_: self._changed())
        self.mapping_view = table_view(self.mapping_model)
        self.mapping_view.setItemDelegateForColumn(COL_FIELD, FieldDelegate(self.mapping_view))
        self.mapping_view.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers
            & ~QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.mapping_view.verticalHeader().setVisible(False)
        header = self.mapping_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_SAMPLES, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_FIELD, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 200)
        header.resizeSection(COL_FIELD, 260)
        col.addWidget(self.mapping_view, 1)
        self.mapping_hint = secondary()
        col.addWidget(self.mapping_hint)

    def show_prepared(self, prepared: Prepared) -> None:
        self.prepared = prepared
        det = prepared.detected
        samples = [prepared.samples(i) for i in range(len(det.headers))]
        self.mapping_model.set_mapping(det.headers, samples, prepared.mapping.fields)
        self._fill_presets(prepared.mapping.preset)
        self._changed()

    def current_mapping(self) -> Mapping:
        assert self.prepared is not None
        return Mapping(list(self.prepared.detected.headers), self.mapping_model.fields(),
                       preset=self.preset_box.currentData() or None)  # fmt: skip

    def can_tell_leads_apart(self) -> bool:
        return identity_mapped(self.mapping_model.fields())

    def preset_saved(self, info: PresetInfo) -> None:
        assert self.prepared is not None
        self.prepared.presets = [p for p in self.prepared.presets if p.name != info.name]
        self.prepared.presets.append(info)
        self._fill_presets(info.name)
        self.preset_note.setText(
            f"Saved as “{info.name}”. Files with these columns will use it automatically."
        )

    def _fill_presets(self, applied: str | None) -> None:
        assert self.prepared is not None
        self.preset_box.clear()
        self.preset_box.addItem("Suggested by Leadgate", "")
        for p in self.prepared.presets:
            self.preset_box.addItem(p.name, p.name)
        self.preset_box.setCurrentIndex(max(self.preset_box.findData(applied or ""), 0))
        if applied:
            self.preset_note.setText(
                f"Preset “{applied}” applied automatically: it was saved for a file with "
                "these same columns."
            )
        else:
            self.preset_note.setText(
                "Suggestions come from the column names (English, German, French, Spanish) "
                "and, where names say nothing, from the values. Click a row to change it."
            )

    def _preset_chosen(self, _i: int) -> None:
        if self.prepared is None:
            return
        det = self.prepared.detected
        name = self.preset_box.currentData() or None
        if name is None:
            self.mapping_model.set_fields(suggest_mapping(det.headers, det.preview).fields)
            self._fill_presets(None)
            return
        preset = next((p for p in self.prepared.presets if p.name == name), None)
        if preset is not None:
            self.mapping_model.set_fields(mapping_from_dict(det.headers, preset.mapping).fields)
            self.preset_note.setText(f"Preset “{name}” applied.")

    def _ask_preset_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Save mapping preset", "Preset name")
        if ok and name.strip():
            self.save_requested.emit(name.strip())

    def _changed(self) -> None:
        fields = [f for f in self.mapping_model.fields() if f]
        kept = len(self.mapping_model.fields()) - len(fields)
        if not self.can_tell_leads_apart():
            self.mapping_hint.setText(
                "Map an e-mail or phone column (or a name and a company) so leads can be told "
                "apart."
            )
            self.mapping_hint.setObjectName("Error")
        else:
            if kept:
                text = (
                    f"{len(fields)} columns import into lead fields; the other {kept} are "
                    "kept in each lead's raw row, so nothing typed in the file is lost."
                )
            else:
                text = (
                    f"All {len(fields)} columns import into lead fields; each lead also "
                    "keeps its raw row as typed in the file."
                )
            self.mapping_hint.setText(text)
            self.mapping_hint.setObjectName("")
        restyle(self.mapping_hint)
        self.mapping_changed.emit()
