"""The badge import's user actions, one function each: `(uow, actor, ...) -> Result`.

The permission check comes first; the work calls the session-level functions (`run`, `undo`,
`mapping`, `export`); the unit of work commits; the Result says what changed.

After a real import's commit, `run_import` also starts the copy of SQLite's write-ahead log into
the store file (`app.store.db.checkpoint_in_background`): the import held that copy back from
its own commit (see `app.store.bulk`) so the user does not wait for it (about a second per
100,000 new leads), and starting it here means the window and the CLI both get it by calling
the one function. With `options.search_later` (the window and the CLI ask for it) an import
into an empty store also leaves its new leads' search index to a background catch-up started
here (`app.store.bulk.catch_up_in_background`): the leads are there and counted at once, and
search says "indexing N new leads" until it is done (`app.store.search.search_backlog`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.services.auth import Actor, Perm, require
from app.services.changes import NOTHING, Changes, Result
from app.services.importing import history as _history
from app.services.importing import run as _run
from app.services.importing import undo as _undo
from app.services.importing.backlog import summarize_backlog
from app.services.importing.detect import Detected, detect
from app.services.importing.export import export_leads_csv
from app.services.importing.history import BatchRow
from app.services.importing.mapping import Mapping
from app.services.importing.presets import PresetInfo, resolve_mapping, save_preset
from app.services.importing.results import ImportOptions, ImportResult
from app.services.importing.undo import UndoResult
from app.services.progress import Progress
from app.store.bulk import catch_up_in_background
from app.store.sequences import advance_sequences
from app.store.uow import UnitOfWork

# pg_advisory_xact_lock key: imports into a PostgreSQL store take turns (`_take_turn`).
IMPORT_LOCK_KEY = 0x1EAD1016
TURN_POLL_S = 0.25

# What an import or its undo changes: leads (many), the batch list, and the new leads'
# follow-up cadences.
IMPORT_CHANGES = Changes(all_leads=True, imports=True, followups=True, alerts=True)


def run_import(
    uow: UnitOfWork,
    actor: Actor,
    path: str | Path,
    *,
    detected: Detected | None = None,
    mapping: Mapping | None = None,
    preset: str | None = None,
    options: ImportOptions | None = None,
    save_preset_as: str | None = None,
    state: Progress | None = None,
) -> Result[ImportResult]:
    """Import a badge file as the actor (recorded on the batch and the new leads).

    With `options.dry_run` nothing is kept: the value says what the import would do (the
    wizard's review) and nothing changed. `save_preset_as` also saves the mapping used under
    that name, in the same transaction.
    """
    opts = replace(options or ImportOptions(), user_id=actor.user_id)
    with uow:
        require(actor, Perm.IMPORT)
        det = detected or detect(path)
        if mapping is None:
            mapping = resolve_mapping(uow.session, det.headers, det.preview, preset=preset)
        if not opts.dry_run:
            _take_turn(uow.session, state)
        result = _run.run_import(
            uow.session, uow.clock, path, detected=det, mapping=mapping, options=opts,
            state=state,
        )  # fmt: skip
        if opts.dry_run:
            return Result(result, NOTHING)
        if save_preset_as:
            save_preset(uow.session, uow.clock, save_preset_as, mapping)
        summarize_backlog(uow.session, uow.clock.now(), result.batch_id, result.created_ids)
        advance_sequences(uow.session)  # PostgreSQL: ids written by the bulk writer
        uow.commit()
    # The search index if behind (this import's `search_later`, or an earlier catch-up that
    # was cut short), then the checkpoint.
    catch_up_in_background(uow.session_factory)
    return Result(result, IMPORT_CHANGES)


def _take_turn(session: Session, state: Progress | None) -> None:
    """PostgreSQL: wait until no other import or undo runs, then keep the turn until this
    one's transaction ends. Two imports of one file at once would otherwise each look its e-mails
    up in the store, find none (neither sees the other's rows before they commit) and create
    every lead twice. SQLite needs no turn: an import's first write takes the store's only
    write lock, so the second one reads the store after the first committed."""
    if session.get_bind().dialect.name != "postgresql":
        return
    while not session.scalar(select(func.pg_try_advisory_xact_lock(IMPORT_LOCK_KEY))):
        if state is not None:
            state.progress(0, 1, "Waiting for another import to finish")
            state.check()
        time.sleep(TURN_POLL_S)


def undo_import(uow: UnitOfWork, actor: Actor, batch_id: int) -> Result[UndoResult]:
    """Remove the leads an import created and revert what it filled in (leads changed since
    are left alone and listed). Only a manager or the owner may."""
    with uow:
        require(actor, Perm.IMPORT_UNDO)
        _take_turn(uow.session, None)  # an import running meanwhile may be filling its leads
        value = _undo.undo_batch(uow.session, uow.clock, batch_id, user_id=actor.user_id)
        advance_sequences(uow.session)
        uow.commit()
    return Result(value, IMPORT_CHANGES)


def save_mapping_preset(
    uow: UnitOfWork, actor: Actor, name: str, mapping: Mapping
) -> Result[PresetInfo]:
    """Save (or replace) a column-mapping preset; files with the same header use it."""
    with uow:
        require(actor, Perm.IMPORT)
        value = save_preset(uow.session, uow.clock, name, mapping)
        uow.commit()
    return Result(value, Changes(imports=True))


def export_leads(uow: UnitOfWork, actor: Actor, path: str | Path) -> Result[int]:
    """Write every lead to a formula-safe CSV; the value is how many."""
    with uow:
        require(actor, Perm.EXPORT)
        value = export_leads_csv(uow.session, Path(path))
    return Result(value, NOTHING)


def list_imports(uow: UnitOfWork, actor: Actor, limit: int = 50) -> Result[list[dict[str, Any]]]:
    """The latest import batches, newest first."""
    with uow:
        require(actor, Perm.LEAD_VIEW)
        value = _undo.list_batches(uow.session, limit)
    return Result(value, NOTHING)


def import_history(uow: UnitOfWork, actor: Actor, limit: int = 100) -> Result[list[BatchRow]]:
    """Every import batch (newest first) with who ran it and where its leads were routed."""
    with uow:
        require(actor, Perm.LEAD_VIEW)
        value = _history.import_history(uow.session, limit)
    return Result(value, NOTHING)


__all__ = [
    "IMPORT_CHANGES",
    "export_leads",
    "import_history",
    "list_imports",
    "run_import",
    "save_mapping_preset",
    "undo_import",
]
