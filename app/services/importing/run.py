"""Stage 5, the import run: detect -> map -> validate -> load, as one transaction.

One import is one transaction: the caller commits when `run_import` returns and rolls back on
any exception, so a cancel (or a killed process) leaves the store exactly as it was. Rows
stream through in chunks (`loader.Loader`) to the bulk writer (`app.store.bulk`); at the end
come the possible duplicates (`review`), the new leads' follow-ups, and the versions undo
compares against (`undo`).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import ImportBatch
from app.services import collection
from app.services.importing.detect import Detected, detect
from app.services.importing.loader import CHECK_EVERY_ROWS, Loader
from app.services.importing.mapping import Mapping
from app.services.importing.pacing import (
    ImportCancelled,
    ImportState,
    ProgressState,
    _CancelAsImport,
    _Pulse,
    _PulseState,
    _release_then_resume_gc,
)
from app.services.importing.presets import resolve_mapping
from app.services.importing.reading import RowSource, open_rows
from app.services.importing.results import ImportOptions, ImportResult
from app.services.importing.review import find_possible_duplicates
from app.services.importing.undo import _version_ranges
from app.services.leads import hooks as lead_hooks
from app.services.pipeline.stages import default_pipeline, ensure_default_pipeline
from app.services.progress import Progress
from app.store.bulk import BulkWriter

CHUNK = 2000


def run_import(
    session: Session,
    clock: Clock,
    path: str | Path,
    *,
    detected: Detected | None = None,
    mapping: Mapping | None = None,
    preset: str | None = None,
    options: ImportOptions | None = None,
    state: Progress | None = None,
) -> ImportResult:
    """Import `path` in the session's transaction. The caller commits (or rolls back: dry run,
    cancel, error). `detected`/`mapping` carry the user's overrides from the wizard."""
    collection.pause()
    try:
        result = _run_import(
            session, clock, path, detected=detected, mapping=mapping, preset=preset,
            options=options, state=_CancelAsImport(state) if state is not None else None,
        )  # fmt: skip
    except ImportCancelled as exc:
        # The traceback's frames hold the import's millions of small objects (dedup keys, the
        # duplicate finder's blocks): freeing them takes a quarter of a second at a million
        # rows. A cancel is no error and nobody reads those locals, so a short-lived thread
        # frees them (and then resumes the collector) while the cancel reaches the caller.
        tb, exc.__traceback__ = exc.__traceback__, None
        containers = getattr(exc, "containers", [])
        threading.Thread(
            target=_release_then_resume_gc, args=(tb, containers), name="import-release",
            daemon=True,
        ).start()  # fmt: skip
        del tb, containers
        raise ImportCancelled() from None
    except BaseException:
        collection.resume()
        raise
    collection.resume()
    return result


def _run_import(
    session: Session,
    clock: Clock,
    path: str | Path,
    *,
    detected: Detected | None,
    mapping: Mapping | None,
    preset: str | None,
    options: ImportOptions | None,
    state: ProgressState | None,
) -> ImportResult:
    started = time.perf_counter()
    opts = options or ImportOptions()
    st: ProgressState = state or ImportState()
    path = Path(path)
    det = detected or detect(path)
    if mapping is None:
        mapping = resolve_mapping(session, det.headers, det.preview, preset=preset)
    result = ImportResult(
        file_name=path.name,
        detected=det.describe(),
        mapping=mapping.as_dict(),
        headers=list(det.headers),
        preset=mapping.preset,
        dry_run=opts.dry_run,
        warnings=list(det.warnings),
    )
    pulse = _Pulse(st, max(det.size, 1))
    # The file's reading starts first: a worker process does its start-up while the store is
    # made ready below.
    rows = open_rows(
        det, mapping, phone_region=opts.phone_region, chunk=CHUNK, every=CHECK_EVERY_ROWS,
        pulse=pulse,
    )  # fmt: skip
    try:
        return _load(session, clock, path, det, mapping, opts, st, result, rows, pulse, started)
    finally:
        rows.close()


def _load(
    session: Session,
    clock: Clock,
    path: Path,
    det: Detected,
    mapping: Mapping,
    opts: ImportOptions,
    st: ProgressState,
    result: ImportResult,
    rows: RowSource,
    pulse: _Pulse,
    started: float,
) -> ImportResult:
    now = clock.now()
    batch = ImportBatch(
        file_name=path.name[:500],
        status="running",
        user_id=opts.user_id,
        started_at=now,
        settings={
            **det.describe(),
            "source": opts.source,
            "event": opts.event,
            "event_date": opts.event_date.isoformat() if opts.event_date else None,
            "owner_id": opts.owner_id,
            "route": opts.route,
            "tags": list(opts.tags),
            "preset": mapping.preset,
        },
        mapping=result.mapping,
        counts={},
    )
    session.add(batch)
    session.flush()
    writer = BulkWriter(session)
    writer.later = opts.search_later and not opts.dry_run
    writer.start_ids()
    loader: Loader | None = None
    try:
        pipeline = (
            ensure_default_pipeline(session) if not opts.dry_run else default_pipeline(session)
        )
        first_stage = None
        if pipeline is not None:
            first_stage = min(pipeline.stages, key=lambda s: s.position, default=None)
        total = pulse.total
        writer.pulse = pulse
        # Scoring and routing of new leads happen as their rows are built (see NewLeadsInline).
        hooks = lead_hooks.NewLeadsInline(
            session, clock, route=opts.route and opts.owner_id is None, by_user_id=opts.user_id
        )
        loader = Loader(session, clock, writer, batch.id, opts, result, first_stage, pulse, hooks)
        st.progress(0, total, "Reading")
        for part in rows:
            result.data_rows += part.rows
            result.skipped_blank += part.blank
            result.rejected += len(part.rejected)
            result.rejected_rows.extend(part.rejected)
            if part.candidates:
                loader.load_chunk(part.candidates)
        rows.close()
        loader.apply_held_repeats()
        st.check()
        result.footer_rows = rows.footer_rows
        if loader.fill_refused:
            ids = ", ".join(str(i) for i in loader.fill_refused[:20])
            result.warnings.append(
                f"{len(loader.fill_refused)} existing lead(s) changed by a teammate during the "
                f"import were not filled in: {ids}"
            )
        if rows.nuls_removed:
            result.warnings.append(
                f"Removed {rows.nuls_removed} NUL character(s): the store cannot keep them."
            )
        pulse(total - 1, f"{result.data_rows:,} rows read; looking for possible duplicates")
        loader.write_created_transitions()
        writer.start_restore(st.check)  # indexes are rebuilt while the duplicate search runs
        result.possible_duplicates = find_possible_duplicates(loader)
        result.created_ids = loader.created_ids
        if loader.created_ids:
            st.check()
            pulse(total - 1, "Starting follow-ups")
            hooks.finish(session, clock, sorted(loader.refilled_ids), _PulseState(pulse))
            # Routing moved the new leads past version 1; undo compares against the versions
            # as the import left them, kept as compact id ranges.
            batch.settings = {
                **(batch.settings or {}),
                "created_versions": _version_ranges(session, batch.id, pulse),
            }
        if loader.rescanned_ids:
            # A new scan of a known lead is fresh intent: its score and tier follow now.
            lead_hooks.on_leads_changed(session, clock, sorted(loader.rescanned_ids))
    except BaseException as exc:
        writer.abort()
        if isinstance(exc, ImportCancelled) and loader is not None:
            exc.containers = loader.containers()  # type: ignore[attr-defined]
        raise
    writer.finish()
    if writer.search_left:
        result.search_backlog = len(loader.created_ids)
    result.indexes_later = writer.indexes_left
    result.seconds = time.perf_counter() - started
    batch.status = "done"
    batch.finished_at = clock.now()
    batch.counts = result.counts()
    session.flush()
    result.batch_id = batch.id
    if opts.dry_run:
        session.rollback()
        result.batch_id = None
    st.progress(total, total, "Done")
    return result


__all__ = ["CHUNK", "run_import"]
