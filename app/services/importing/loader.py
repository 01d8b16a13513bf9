"""Loading an import's rows, a chunk at a time: merge repeats, build lead rows, score and
route new leads as their rows are built, and hand the rows to the bulk writer.

Within a chunk repeats merge in memory; repeats of earlier leads (this import's or the store's)
are filled in with one SELECT and a few UPDATEs per chunk.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Table, insert, or_, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import EngagementEvent, ImportChange, Lead
from app.services.accounts.core import AccountIndex
from app.services.chunks import chunks
from app.services.importing.dedup import (
    FILLABLE,
    MAX_LISTED,
    Conflict,
    DuplicateFinder,
    fill_missing,
    identity_key,
)
from app.services.importing.pacing import RELEASE_SLICE
from app.services.importing.results import ImportOptions, ImportResult
from app.services.importing.validate import Candidate, to_json
from app.services.leads import hooks as lead_hooks
from app.services.routing.core import RouteFacts as _RouteFacts
from app.services.scoring.core import EventFact, LeadFacts, ScoreResult
from app.store.bulk import BulkWriter, naive

CHECK_EVERY_ROWS = 256  # cancel is noticed within a few milliseconds
# New leads whose duplicate-finder fields wait for the end of the import (`Loader._feed`).
DEFER_DUPS = 100_000
# Into an empty SQLite store, repeat scans of leads earlier chunks wrote wait for the end of the
# import (`Loader.apply_held_repeats`), at most this many rows at a time.
HOLD_REPEATS = 20_000
EVENT_KIND = "badge_scan"

LEAD_COLUMNS = (
    "id", "first_name", "last_name", "display_name", "email", "email_normalized", "phone",
    "phone_normalized", "title", "company", "country", "industry", "headcount", "source",
    "event", "captured_at", "owner_id", "first_owner_id", "pipeline_id", "stage_id",
    "stage_entered_at", "status", "incomplete", "details", "qualifiers", "raw_row",
    "import_batch_id", "score", "fit", "intent", "authority", "timing", "version",
    "created_at", "updated_at", "updated_by_id", "tier", "scored_at", "routing_reason",
    "account_id",
)  # fmt: skip
# The fillable fields sit in LEAD_COLUMNS in their own order (`_lead_tuple` copies them at once).
_FILLABLE_AT = LEAD_COLUMNS.index(FILLABLE[0])
if LEAD_COLUMNS[_FILLABLE_AT : _FILLABLE_AT + len(FILLABLE)] != FILLABLE:
    raise RuntimeError("LEAD_COLUMNS must hold dedup.FILLABLE in its order")
_FILLABLE_OF = itemgetter(*FILLABLE)
EVENT_COLUMNS = ("lead_id", "kind", "at", "detail", "import_batch_id")
TRANSITION_COLUMNS = ("lead_id", "from_stage_id", "to_stage_id", "kind", "at", "by_user_id")


# Core tables (typed as Table: the ORM declares __table__ as a FromClause).
LEADS = cast(Table, Lead.__table__)
CHANGES = cast(Table, ImportChange.__table__)
EVENTS = cast(Table, EngagementEvent.__table__)


@dataclass(slots=True)
class _Target:
    """An in-file lead that later rows may merge into: pending in this chunk, or written."""

    lead_id: int
    existing: bool  # True: the lead was in the store before this import
    row: dict[str, Any] | None = None  # chunk-local created lead, not yet written


class Loader:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        writer: BulkWriter,
        batch_id: int,
        opts: ImportOptions,
        result: ImportResult,
        first_stage: Any,
        pulse: Callable[..., None],
        hooks: lead_hooks.NewLeadsInline,
    ) -> None:
        self.session = session
        self.hooks = hooks
        # Leads this import wrote and a later chunk scanned again: rescored at the end.
        self.refilled_ids: set[int] = set()
        self.pulse = pulse
        self.writer = writer
        self.batch_id = batch_id
        self.opts = opts
        self.result = result
        self.now = clock.now()
        self.stage_id = first_stage.id if first_stage is not None else None
        self.pipeline_id = first_stage.pipeline_id if first_stage is not None else None
        self.targets: dict[str, _Target] = {}
        self.created_ids: list[int] = []
        # Leads already in the store that this file scanned again (their intent changes).
        self.rescanned_ids: set[int] = set()
        # Leads already in the store a teammate changed while this import was filling them in:
        # left as the teammate made them.
        self.fill_refused: list[int] = []
        self.finder = DuplicateFinder()
        # What the duplicate finder needs of the last new leads, in created order (one list
        # per field: no object per lead). It takes them in `feed_finder`, after the last
        # chunk, while the writer thread rebuilds the indexes: off the reading loop's path.
        # At most DEFER_DUPS leads wait there (their text would stay in memory meanwhile);
        # older ones are fed as chunks go by. `_fed`: created leads the finder has taken.
        self._fed = 0
        self._dup_rows: list[int] = []
        self._dup_names: list[str | None] = []
        self._dup_companies: list[str | None] = []
        self._dup_phones: list[str | None] = []
        self._dup_emails: list[str | None] = []
        when = opts.event_date
        self.default_captured = (
            datetime(when.year, when.month, when.day, 12, tzinfo=UTC) if when else self.now
        )
        self.event_detail = {"event": opts.event, "source": opts.source}
        self.details: dict[str, Any] = {"tags": list(opts.tags)} if opts.tags else {}
        self._seen_existing: set[int] = set()
        self._now_db = writer.dt(self.now)
        self._event_prefix = json.dumps(self.event_detail, ensure_ascii=False)[:-1] + ', "row": '
        self._details_json = json.dumps(self.details, ensure_ascii=False)
        self._row_template = self._template()
        self._i_display = LEAD_COLUMNS.index("display_name")
        self._i_id = LEAD_COLUMNS.index("id")
        self._i_incomplete = LEAD_COLUMNS.index("incomplete")
        self._i_qualifiers = LEAD_COLUMNS.index("qualifiers")
        self._i_raw = LEAD_COLUMNS.index("raw_row")
        self._i_captured = LEAD_COLUMNS.index("captured_at")
        self._i_scores = [
            LEAD_COLUMNS.index(c) for c in ("fit", "intent", "authority", "timing", "score", "tier")
        ]
        self._i_owner = [LEAD_COLUMNS.index(c) for c in ("owner_id", "first_owner_id")]
        self._i_reason = LEAD_COLUMNS.index("routing_reason")
        self._i_version = LEAD_COLUMNS.index("version")
        self._i_account = LEAD_COLUMNS.index("account_id")
        # New leads join the account of their domain or company (its owner routes them).
        self.accounts = AccountIndex(session)
        self._scan = EventFact(EVENT_KIND, cast(datetime, naive(self.now)))
        self._dt_cache: dict[datetime, Any] = {}
        self._scores: dict[tuple[Any, int], ScoreResult] = {}
        self.conflicts: list[Conflict] = []
        # Into an empty store (the common first import) there is nothing to look up.
        self.store_empty = writer.conn.scalar(select(Lead.id).limit(1)) is None
        # Filling in a written lead from a repeat scan reads it back from the store, which
        # waits for the writer thread to store the chunks before. Into an empty SQLite store
        # every such lead is this import's own and nothing else reads it meanwhile, so the
        # repeats wait (in file order) and are applied in one go: the reading loop never
        # stalls on the writer. (Into a store with leads, a fill can give a lead the e-mail a
        # later row is looked up by: those are applied chunk by chunk.)
        self._hold = self.store_empty and not writer.pg
        self._held: dict[int, list[Candidate]] = {}  # written lead id -> rows merging into it
        self._held_rows = 0

    def containers(self) -> list[Any]:
        """What holds one small object per row (released a slice at a time on Cancel)."""
        return [
            self.targets, self.created_ids, self._seen_existing, self.refilled_ids,
            self.rescanned_ids, self._dt_cache, self._scores, *self.finder.containers(),
            self._dup_rows, self._dup_names, self._dup_companies, self._dup_phones,
            self._dup_emails, self._held,
        ]  # fmt: skip

    # -- per chunk ---------------------------------------------------------------------

    def load_chunk(self, cands: list[Candidate]) -> None:
        keys = [identity_key(c.values, c.email_key) for c in cands]
        if self.writer.pg or not self.store_empty:
            self.writer.wait()  # the previous chunk is stored before this one reads the store
        # Into an empty SQLite store nothing below reads the store until the repeats of
        # earlier chunks' leads (`_apply_repeats` waits): the rows are built meanwhile.
        self._lookup_store(cands, keys)
        new_rows: list[dict[str, Any]] = []
        events: list[tuple[Any, ...]] = []
        local: list[_Target] = []
        for cand, key in zip(cands, keys, strict=True):
            target = self.targets.get(key) if key else None
            if target is None:
                row = self._new_row(cand)
                new_rows.append(row)
                if key:
                    target = _Target(0, False, row)
                    self.targets[key] = target
                    local.append(target)
                continue
            if target.existing and target.lead_id not in self._seen_existing:
                self._seen_existing.add(target.lead_id)
                self.result.updated += 1
            else:
                self.result.merged += 1
            if target.row is not None:
                fill_missing(
                    target.row, target.row["qualifiers"], cand.values, cand.qualifiers,
                    lead_id=None, row=cand.row_number, conflicts=self.conflicts,
                )  # fmt: skip
                target.row.setdefault("_scans", []).append(cand.row_number)
            else:
                self._held.setdefault(target.lead_id, []).append(cand)
                self._held_rows += 1
        ids = self.writer.reserve(len(new_rows)) if new_rows else []
        lead_rows, transitions = [], []
        for n, (lead_id, row) in enumerate(zip(ids, new_rows, strict=True), start=1):
            if n % CHECK_EVERY_ROWS == 0:
                self.pulse()  # a chunk's rows take tens of milliseconds: Cancel stays quick
            row["id"] = lead_id
            row["incomplete"] = not row.get("email_normalized") or not row.get("company")
            self.result.created += 1
            if row["incomplete"]:
                self.result.incomplete += 1
                if len(self.result.incomplete_rows) < MAX_LISTED:
                    self.result.incomplete_rows.append(
                        (
                            row["_row"],
                            row.get("display_name") or "",
                            row.get("email"),
                            row.get("company"),
                            row.get("email_normalized") is not None,
                        )
                    )
            self.created_ids.append(lead_id)
            lead_rows.append(self._lead_tuple(row, self._score_and_route(lead_id, row)))
            for scan_row in [row["_row"], *row.get("_scans", [])]:
                events.append(self._event(lead_id, scan_row))
            if self.stage_id is not None and self.writer.pg:
                transitions.append((lead_id, None, self.stage_id, "created", self._now_db,
                                    self.opts.user_id))  # fmt: skip
            self._dup_rows.append(row["_row"])
            self._dup_names.append(row["display_name"])
            self._dup_companies.append(row["company"])
            self._dup_phones.append(row["phone_normalized"])
            self._dup_emails.append(row["email_normalized"])
        if len(self._dup_rows) > DEFER_DUPS:
            self._feed(len(self._dup_rows) - DEFER_DUPS)
        # Rows of this chunk are written; later chunks merge into them by id.
        for t in local:
            assert t.row is not None
            t.lead_id, t.row = t.row["id"], None
        # Repeats of earlier leads first (they read and update what earlier chunks stored),
        # then this chunk's rows go to the writer thread while the next chunk is read.
        if not self._hold or self._held_rows >= HOLD_REPEATS:
            events.extend(self._apply_held())
        self.pulse()
        self.writer.submit(
            [
                ("leads", LEAD_COLUMNS, lead_rows),
                ("stage_transitions", TRANSITION_COLUMNS, transitions),
                ("engagement_events", EVENT_COLUMNS, events),
            ]
        )

    def apply_held_repeats(self) -> None:
        """After the last chunk: fill in this import's leads from the repeat scans that waited,
        and store their scan events."""
        events = self._apply_held()
        if events:
            self.writer.submit([("engagement_events", EVENT_COLUMNS, events)])

    def _apply_held(self) -> list[tuple[Any, ...]]:
        held, self._held, self._held_rows = self._held, {}, 0
        return self._apply_repeats(held)

    def write_created_transitions(self) -> None:
        """SQLite: every new lead's "created" transition into the first stage, by one
        INSERT ... SELECT over this import's leads on the writer thread, once the last chunk is
        stored. Built row by row, 100,000 transitions cost the writer a second of bound
        parameters, under the GIL the reading loop needs; one statement runs in C. (On
        PostgreSQL they go with each chunk's COPY: under row-level security a member could not
        read every lead this import routed to a teammate.)"""
        if self.writer.pg or self.stage_id is None or not self.created_ids:
            return
        self.writer.submit_statement(
            "INSERT INTO stage_transitions (" + ", ".join(TRANSITION_COLUMNS) + ") "
            "SELECT id, NULL, ?, 'created', ?, ? FROM leads "
            "WHERE id BETWEEN ? AND ? AND import_batch_id = ? ORDER BY id",
            (self.stage_id, self._now_db, self.opts.user_id, self.created_ids[0],
             self.created_ids[-1], self.batch_id),
        )  # fmt: skip

    def feed_finder(self) -> None:
        """Give the duplicate finder the new leads it has not taken yet."""
        self._feed(len(self._dup_rows))

    def _feed(self, count: int) -> None:
        """The duplicate finder takes the next `count` new leads, as they were written, in
        created order; their held fields are let go a slice at a time (Cancel and progress
        keep their pace)."""
        stash = (
            self._dup_rows, self._dup_names, self._dup_companies, self._dup_phones,
            self._dup_emails,
        )  # fmt: skip
        entry, add = self.finder.entry, self.finder.add_new
        for start in range(0, count, CHECK_EVERY_ROWS):
            self.pulse()
            end = min(start + CHECK_EVERY_ROWS, count)
            ids = self.created_ids[self._fed + start : self._fed + end]
            fields = [part[start:end] for part in stash]
            for lead in zip(ids, *fields, strict=True):
                add(entry(*lead))
        self._fed += count
        for part in stash:
            end = count
            while end > 0:  # from the back: what stays is shifted once per slice at most
                self.pulse()
                del part[max(0, end - RELEASE_SLICE) : end]
                end -= RELEASE_SLICE

    def _event(self, lead_id: int, row: int) -> tuple[Any, ...]:
        # The same detail for every scan but the row number: JSON built once, row appended.
        detail = f"{self._event_prefix}{int(row)}}}"
        return (lead_id, EVENT_KIND, self._now_db, detail, self.batch_id)

    def _template(self) -> list[Any]:
        """The lead row with everything the import sets the same for every lead."""
        owner = self.opts.owner_id
        constant = {
            "source": self.opts.source,
            "event": self.opts.event,
            "owner_id": owner,
            "first_owner_id": owner,
            "pipeline_id": self.pipeline_id,
            "stage_id": self.stage_id,
            "stage_entered_at": self._now_db if self.stage_id else None,
            "status": "open",
            "details": self._details_json,
            "import_batch_id": self.batch_id,
            "scored_at": self._now_db,
            "score": 0,
            "fit": 0,
            "intent": 0,
            "authority": 0,
            "timing": 0,
            "version": 1,
            "created_at": self._now_db,
            "updated_at": self._now_db,
            "updated_by_id": self.opts.user_id,
        }
        return [constant.get(c) for c in LEAD_COLUMNS]

    def _score_and_route(self, lead_id: int, row: dict[str, Any]) -> Any:
        """Score and route a new lead from the values about to be written, as rescoring and
        routing would from the stored row: its events are this import's scans."""
        q = row["qualifiers"]
        g = row.get
        # The lead's facts but its id (LeadFacts[1:]).
        known = (
            g("industry"), g("headcount"), g("country"), self.opts.source, g("title"),
            q.get("timeframe"), q.get("budget"), q.get("rating"), q.get("stars"),
        )  # fmt: skip
        scans = 1 + len(row.get("_scans", ()))
        # Every event is this import's scan, so the score depends on the facts (not the id)
        # and the number of scans: a badge file repeats the same few titles, countries and
        # ratings, so most leads share a score already worked out.
        key = (known, scans)
        res = self._scores.get(key)
        if res is None:
            if len(self._scores) > 200_000:
                self._scores.clear()
            facts = LeadFacts(lead_id, *known)
            res = self._scores[key] = self.hooks.score(facts, [self._scan] * scans)
        product = q.get("product_interest")
        account = self.accounts.match(g("email_normalized"), g("company"))
        account_id, account_owner = account if account is not None else (None, None)
        decision = self.hooks.route(
            _RouteFacts(
                lead_id, self.opts.owner_id, self.opts.owner_id, account_owner, g("company"),
                g("country"), res.tier, self.opts.source, g("industry"), g("headcount"),
                product if product is not None else q.get("interest"), "open",
            )
        )  # fmt: skip
        return res, decision, account_id

    def _lead_tuple(self, row: dict[str, Any], scored: Any = None) -> tuple[Any, ...]:
        out = self._row_template.copy()
        if scored is not None:
            res, decision, out[self._i_account] = scored
            for i, v in zip(self._i_scores, res, strict=True):
                out[i] = v
            if decision is not None:
                out[self._i_owner[0]] = out[self._i_owner[1]] = decision.owner_id
                out[self._i_reason] = decision.reason
                out[self._i_version] = 2  # routing is an edit, as route_leads counts it
        # The fillable fields are consecutive lead columns, and every row has all of them.
        out[_FILLABLE_AT : _FILLABLE_AT + len(FILLABLE)] = _FILLABLE_OF(row)
        out[self._i_display] = row["display_name"] or ""
        out[self._i_id] = row["id"]
        out[self._i_incomplete] = row["incomplete"]
        out[self._i_qualifiers] = to_json(row["qualifiers"])
        out[self._i_raw] = row["raw_row"]  # JSON text already (`Candidate.raw`)
        captured = row["captured_at"]
        text = self._dt_cache.get(captured)
        if text is None:
            if len(self._dt_cache) > 100_000:
                self._dt_cache.clear()
            text = self._dt_cache[captured] = self.writer.dt(captured)
        out[self._i_captured] = text
        return tuple(out)

    def _new_row(self, cand: Candidate) -> dict[str, Any]:
        """What differs per lead; merges of later rows fill this dict before it is written."""
        v = cand.values
        row = {k: v.get(k) for k in FILLABLE}
        row["captured_at"] = v.get("captured_at") or self.default_captured
        row["qualifiers"] = dict(cand.qualifiers)
        row["raw_row"] = cand.raw
        row["_row"] = cand.row_number
        return row

    def _lookup_store(self, cands: list[Candidate], keys: list[str | None]) -> None:
        """Find store leads for identity keys this import has not met yet."""
        if self.store_empty:
            return
        emails = {c.email_key for c, k in zip(cands, keys, strict=True)
                  if c.email_key and k not in self.targets}  # fmt: skip
        others = [c for c, k in zip(cands, keys, strict=True)
                  if k and not c.email_key and k not in self.targets]  # fmt: skip
        conn = self.writer.conn
        if emails:
            for part in chunks(sorted(emails), 500):
                self.pulse()
                rows = conn.execute(
                    select(Lead.id, Lead.email_normalized)
                    .where(Lead.email_normalized.in_(part))
                    .where(Lead.import_batch_id.is_distinct_from(self.batch_id))
                    .order_by(Lead.id.desc())
                )
                for lead_id, email in rows:  # lowest id wins: written last
                    if email:
                        self.targets[email] = _Target(lead_id, True)
        if others:
            phones = {c.values["phone_normalized"] for c in others
                      if c.values.get("phone_normalized")}  # fmt: skip
            names = {
                c.values["display_name"]
                for c in others
                if c.values.get("display_name") and not c.values.get("phone_normalized")
            }
            cond = []
            if phones:
                cond.append(Lead.phone_normalized.in_(sorted(phones)))
            if names:
                cond.append(Lead.display_name.in_(sorted(names)))
            found = conn.execute(
                select(Lead.id, Lead.display_name, Lead.company, Lead.phone_normalized)
                .where(Lead.email_normalized.is_(None))
                .where(Lead.import_batch_id.is_distinct_from(self.batch_id))
                .where(or_(*cond))
                .order_by(Lead.id.desc())
            )
            for lead_id, name, company, phone in found:
                key = identity_key(
                    {"display_name": name, "company": company, "phone_normalized": phone}, None
                )
                if key:
                    self.targets[key] = _Target(lead_id, True)

    def _apply_repeats(self, repeats: dict[int, list[Candidate]]) -> list[tuple[Any, ...]]:
        """Fill written leads' empty fields from repeat rows; returns their scan events."""
        events: list[tuple[Any, ...]] = []
        if not repeats:
            return events
        self.writer.wait()  # the leads they fill in are stored
        conn = self.writer.conn
        cols = [getattr(Lead, f) for f in FILLABLE]
        changes = []
        for part in chunks(sorted(repeats), 500):
            self.pulse()
            rows = conn.execute(
                select(Lead.id, Lead.version, Lead.import_batch_id, Lead.qualifiers,
                       Lead.incomplete, *cols).where(Lead.id.in_(part))
            )  # fmt: skip
            for r in rows:
                lead_id, version, batch_id, qualifiers, was_incomplete = r[:5]
                current = dict(zip(FILLABLE, r[5:], strict=True))
                quals = dict(qualifiers or {})
                mine = batch_id == self.batch_id
                if not mine:
                    self.rescanned_ids.add(lead_id)
                else:
                    # Scored when written; this scan (and any filled field) changes that.
                    self.refilled_ids.add(lead_id)
                filled_all: dict[str, Any] = {}
                added_all: dict[str, Any] = {}
                for cand in repeats[lead_id]:
                    filled, added = fill_missing(
                        current, quals, cand.values, cand.qualifiers,
                        lead_id=lead_id, row=cand.row_number, conflicts=self.conflicts,
                    )  # fmt: skip
                    for k, old in filled.items():
                        filled_all.setdefault(k, old)
                    for k, old in added.items():
                        added_all.setdefault(k, old)
                    events.append(self._event(lead_id, cand.row_number))
                if not (filled_all or added_all):
                    continue
                incomplete = not current.get("email_normalized") or not current.get("company")
                values: dict[str, Any] = {f: current[f] for f in filled_all}
                if added_all:
                    values["qualifiers"] = quals
                if mine:
                    # A lead this import created: nothing else has seen it, no version bump.
                    values["incomplete"] = incomplete
                    self.result.incomplete -= int(bool(was_incomplete) and not incomplete)
                    conn.execute(update(LEADS).where(LEADS.c.id == lead_id).values(**values))
                    continue
                values["version"] = version + 1
                values["updated_at"] = self.now
                values["updated_by_id"] = self.opts.user_id
                if was_incomplete and not incomplete:
                    values["incomplete"] = False
                # Core, not the ORM: the version is checked and bumped by hand. A teammate's
                # edit since the read above wins; the lead is left as they made it.
                done = conn.execute(
                    update(LEADS)
                    .where(LEADS.c.id == lead_id, LEADS.c.version == version)
                    .values(**values)
                )
                if getattr(done, "rowcount", 0) != 1:
                    self.fill_refused.append(lead_id)
                    continue
                changes.append(
                    {
                        "batch_id": self.batch_id,
                        "lead_id": lead_id,
                        "action": "filled",
                        "previous": {
                            "fields": filled_all,
                            "qualifiers": added_all,
                            "incomplete": bool(was_incomplete),
                        },
                        "version_after": version + 1,
                    }
                )
        if changes:
            conn.execute(insert(CHANGES), changes)
        return events


__all__ = ["EVENT_KIND", "LEAD_COLUMNS", "Loader"]
