"""Saved column mappings (presets): a team's mapping for a vendor's layout, found again by the
file's header. Kept apart from `mapping`, which the file-reading worker process imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import ImportMappingPreset
from app.services.importing.mapping import (
    Mapping,
    MappingError,
    header_signature,
    mapping_from_dict,
    suggest_mapping,
)


@dataclass(frozen=True)
class PresetInfo:
    id: int
    name: str
    mapping: dict[str, str]
    header_signature: str | None


def _info(p: ImportMappingPreset) -> PresetInfo:
    return PresetInfo(p.id, p.name, dict(p.mapping or {}), p.header_signature)


def save_preset(session: Session, clock: Clock, name: str, mapping: Mapping) -> PresetInfo:
    """Save (or replace) the preset `name` for files with this header."""
    name = name.strip()
    if not name:
        raise MappingError("A preset needs a name.")
    preset = session.scalar(select(ImportMappingPreset).where(ImportMappingPreset.name == name))
    if preset is None:
        preset = ImportMappingPreset(name=name, created_at=clock.now())
        session.add(preset)
    preset.header_signature = header_signature(mapping.headers)
    preset.mapping = mapping.as_dict()
    session.flush()
    return _info(preset)


def list_presets(session: Session) -> list[PresetInfo]:
    rows = session.scalars(select(ImportMappingPreset).order_by(ImportMappingPreset.name))
    return [_info(p) for p in rows]


def find_preset(session: Session, name: str) -> PresetInfo | None:
    p = session.scalar(select(ImportMappingPreset).where(ImportMappingPreset.name == name))
    return _info(p) if p else None


def preset_for_headers(session: Session, headers: Sequence[str]) -> PresetInfo | None:
    """The newest preset saved for a file with exactly this header."""
    sig = header_signature(headers)
    p = session.scalar(
        select(ImportMappingPreset)
        .where(ImportMappingPreset.header_signature == sig)
        .order_by(ImportMappingPreset.id.desc())
        .limit(1)
    )
    return _info(p) if p else None


def resolve_mapping(
    session: Session | None,
    headers: Sequence[str],
    sample_rows: Sequence[Sequence[str]] = (),
    *,
    preset: str | None = None,
) -> Mapping:
    """The named preset, else a preset saved for this header, else suggestions."""
    if session is not None and preset:
        info = find_preset(session, preset)
        if info is None:
            raise MappingError(f"No mapping preset named '{preset}'.")
        m = mapping_from_dict(headers, info.mapping)
        m.preset = info.name
        return m
    if session is not None:
        info = preset_for_headers(session, headers)
        if info is not None:
            m = mapping_from_dict(headers, info.mapping)
            m.preset = info.name
            return m
    return suggest_mapping(headers, sample_rows)
