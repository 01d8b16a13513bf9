"""Stage 4: the same person twice.

Exact: the same normalised e-mail (or, for rows without one, the same name + company + phone)
merges, within the file and against the store. A merge only fills fields the lead lacks; a
differing non-empty value is never overwritten, it is listed as a conflict.

Fuzzy: the same phone, or a very similar name at a similar company, is *not* merged; the pair
is listed as a possible duplicate for a person to review. Candidates are compared only within
blocks (same phone, same name key, same e-mail domain), never all pairs. A block that grows
past BLOCK_LIMIT (alike names such as `First123 Last123` at `Company 17` all share one key)
is not compared pair by pair: each member is compared only with its WINDOW nearest
neighbours in two orders (name as written, and surname first), so the work and memory grow
linearly with the file, whatever the names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from app.services.chunks import chunks as chunks  # re-export: it lived here

# Typed columns a merge may fill when the lead lacks them.
FILLABLE = (
    "first_name",
    "last_name",
    "display_name",
    "email",
    "email_normalized",
    "phone",
    "phone_normalized",
    "title",
    "company",
    "country",
    "industry",
    "headcount",
)
# Shared mailboxes say nothing about the company, so they make no block.
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "wanadoo.fr",
        "yahoo.fr",
        "hotmail.fr",
        "proton.me",
        "protonmail.com",
        "mail.com",
        "yandex.ru",
        "qq.com",
        "163.com",
    }
)
NAME_THRESHOLD = 88
COMPANY_THRESHOLD = 85
MAX_LISTED = 5000
SCREEN_BATCH = 20_000  # block pairs scored at once
FOUND_LIMIT = MAX_LISTED * 4  # pairs collected before the first MAX_LISTED by row are kept
SMALL_BLOCK = 12
# Past this many members a block is compared by sorted neighbourhood instead of all pairs.
BLOCK_LIMIT = 400
# Neighbours each member is compared with on either side, in each of the two orders: at most
# 4 * WINDOW candidates per row in a big block.
WINDOW = 12
CHECK_ROWS = 20_000  # rows of a big block between two looks at Cancel
SORT_PREFIX = 8  # a big block is sorted in buckets of names that start alike


def identity_key(values: dict[str, Any], email_key: str | None) -> str | None:
    """What makes two rows the same person for an exact merge."""
    if email_key:
        # The e-mail itself (no prefix: no new string per row). Name keys below always hold
        # \x1f, which a valid e-mail cannot, so the two kinds never collide.
        return email_key
    name = (values.get("display_name") or "").lower()
    company = (values.get("company") or "").lower()
    phone = values.get("phone_normalized") or ""
    if not (name or phone):
        return None
    return f"n:{name}\x1f{company}\x1f{phone}"


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


@dataclass
class Conflict:
    lead_id: int | None
    row: int
    field: str
    existing: Any
    incoming: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "row": self.row,
            "field": self.field,
            "existing": self.existing,
            "incoming": self.incoming,
        }


def fill_missing(
    target: dict[str, Any],
    target_qualifiers: dict[str, Any],
    values: dict[str, Any],
    qualifiers: dict[str, Any],
    *,
    lead_id: int | None,
    row: int,
    conflicts: list[Conflict],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fill the target's empty fields from a repeat row. Returns (filled fields with their old
    values, qualifier keys added); differing non-empty values go to `conflicts`."""
    filled: dict[str, Any] = {}
    for f in FILLABLE:
        new = values.get(f)
        if _empty(new):
            continue
        old = target.get(f)
        if _empty(old):
            filled[f] = old
            target[f] = new
        elif f not in ("display_name", "email_normalized", "phone_normalized") and (
            str(old).strip().casefold() != str(new).strip().casefold()
        ):
            conflicts.append(Conflict(lead_id, row, f, old, new))
    added: dict[str, Any] = {}
    for k, new in qualifiers.items():
        old = target_qualifiers.get(k)
        if _empty(old):
            added[k] = old
            target_qualifiers[k] = new
        elif str(old).strip().casefold() != str(new).strip().casefold():
            conflicts.append(Conflict(lead_id, row, f"qualifiers.{k}", old, new))
    return filled, added


_NOT_WORD = re.compile(r"[^\w ]+|_")


@lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    """Case, accents and punctuation folded away: 'Zoë O'Neill' -> 'zoe oneill'."""
    # NFKD splits accents into combining marks, which are not \w and so go with punctuation.
    return _NOT_WORD.sub("", unicodedata.normalize("NFKD", text.casefold())).strip()


def name_key(name: str) -> str | None:
    """Blocking key: first letters of the first and last name ('Jon Smith' ~ 'John Smith')."""
    parts = _fold(name).split()
    if not parts:
        return None
    return parts[0][:2] + "|" + parts[-1][:3]


@dataclass
class PossibleDuplicate:
    lead_id: int | None
    row: int | None
    other_id: int | None
    other_row: int | None
    reason: str
    score: int
    name: str
    other_name: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "row": self.row,
            "other_lead_id": self.other_id,
            "other_row": self.other_row,
            "reason": self.reason,
            "score": self.score,
            "name": self.name,
            "other_name": self.other_name,
        }


# (lead id, row number or None for store leads, folded name, folded company, phone, domain).
# Kept lean: a million-row import holds one per new lead.
_Entry = tuple[int | None, int | None, str, str, str, str]


class DuplicateFinder:
    """Collects the leads an import creates, then lists likely duplicates among them and
    against the store, comparing only within blocks.

    Same phone is an exact match, found as leads arrive (a dict, no block). Name blocks hold a
    single entry until a second one shares the key, so the many one-member blocks cost no list.
    """

    def __init__(self) -> None:
        self._blocks: dict[str, Any] = {}  # key -> entry, or a list once two share it
        self._phones: dict[str, _Entry] = {}  # phone -> first new lead with it
        self._phone_pairs: list[tuple[_Entry, _Entry]] = []
        self.comparisons = 0  # name similarities computed by `find` (bounded per row)

    def containers(self) -> list[Any]:
        """The finder's per-lead collections (a cancelled import releases them gradually)."""
        return [self._blocks, self._phones, self._phone_pairs]

    @staticmethod
    def _keys(entry: _Entry) -> list[str]:
        _, _, name, company, _phone, domain = entry
        nk = name_key(name) if name else None
        if not nk:
            return []
        # Company initial in the key: "similar company" pairs nearly always share it, and it
        # keeps blocks of common names small. The domain block catches a renamed company.
        keys = [f"n:{nk}|{company[:1]}"]
        if domain and domain not in FREE_MAIL:
            keys.append(f"d:{domain}|{nk}")
        return keys

    @staticmethod
    def entry(
        lead_id: int | None,
        row: int | None,
        name: str | None,
        company: str | None,
        phone: str | None,
        email: str | None,
    ) -> _Entry:
        domain = _domain(email.rpartition("@")[2]) if email else ""
        return (lead_id, row, _fold(name or ""), _fold(company or ""), phone or "", domain)

    def _join(self, key: str, entry: _Entry) -> None:
        current = self._blocks.get(key)
        if current is None:
            self._blocks[key] = entry
        elif isinstance(current, list):
            current.append(entry)
        else:
            self._blocks[key] = [current, entry]

    def add_new(self, entry: _Entry) -> None:
        phone = entry[4]
        if phone:
            first = self._phones.setdefault(phone, entry)
            if first is not entry:
                self._phone_pairs.append((first, entry))
        for k in self._keys(entry):
            self._join(k, entry)

    def add_existing(self, entry: _Entry) -> None:
        """A store lead: it only joins blocks (and phones) that new leads opened."""
        phone = entry[4]
        if phone and phone in self._phones:
            self._phone_pairs.append((self._phones[phone], entry))
        for k in self._keys(entry):
            if k in self._blocks:
                self._join(k, entry)

    def find(self, check: Any = None) -> list[PossibleDuplicate]:
        """Pairs within each block with at least one new lead (rows have a row number)."""
        seen: set[tuple[Any, Any]] = set()
        out: list[PossibleDuplicate] = []

        def consider(a: _Entry, b: _Entry) -> None:
            dup = _compare(a, b)
            if dup is None:
                return
            # Only pairs that are listed are remembered (two blocks can hold the same pair);
            # remembering every compared pair would cost gigabytes on a million rows.
            x, y = (a[0], a[1]), (b[0], b[1])
            if x == y:
                return
            pair = (x, y) if (x[0] or 0, x[1] or 0) <= (y[0] or 0, y[1] or 0) else (y, x)
            if pair not in seen:
                seen.add(pair)
                out.append(dup)

        # Once the list is full nothing more would be listed: stop looking.
        for a, b in self._phone_pairs:
            if len(out) >= FOUND_LIMIT:
                break
            consider(a, b)
        # Block pairs are screened many thousand at a time in C (`_screen`, the same tests as
        # `_compare`), then considered in the order they were found.
        pending: list[tuple[_Entry, _Entry]] = []

        def flush() -> None:
            for a, b in _screen(pending):
                if len(out) >= FOUND_LIMIT:
                    break
                consider(a, b)
            pending.clear()

        for n, members in enumerate(self._blocks.values()):
            if check is not None and n % 200 == 0:
                check()
            if not isinstance(members, list) or len(out) >= FOUND_LIMIT:
                continue
            for i, j in self._pairs(members, check):
                a, b = members[i], members[j]
                if a[1] is None and b[1] is None:
                    continue  # two old leads: not this import's business
                pending.append((a, b))
                if len(pending) >= SCREEN_BATCH:
                    flush()
                    if len(out) >= FOUND_LIMIT:
                        break
        flush()
        out.sort(key=lambda d: (d.row or 0, d.other_row or 0))
        return out

    def _pairs(self, members: list[_Entry], check: Any) -> Iterator[tuple[int, int]]:
        """Index pairs (i < j) of a block's members whose names may be close enough."""
        n = len(members)
        if n <= SMALL_BLOCK:
            # Small blocks are cheaper pair by pair than through cdist.
            self.comparisons += n * (n - 1) // 2
            yield from ((i, j) for i in range(n) for j in range(i + 1, n))
            return
        if n <= BLOCK_LIMIT:
            names = [m[2] for m in members]
            # Name similarity for the whole block at once, in C; only close pairs go on.
            self.comparisons += n * n
            matrix = process.cdist(names, names, scorer=fuzz.token_sort_ratio,
                                   score_cutoff=NAME_THRESHOLD, dtype=np.uint8)  # fmt: skip
            ii, jj = np.nonzero(np.triu(matrix, 1))
            yield from zip(ii.tolist(), jj.tolist(), strict=True)
            return
        # A big block: sorted neighbourhood in two orders, WINDOW rows at a time against the
        # next 2 * WINDOW (small matrices, so memory stays flat). Alike names pass the name
        # test in bulk, so the company, domain and phone tests of `_compare` are applied to
        # those pairs in C as well (`_plausible`): only pairs that can be listed come back. A
        # pair close in both orders comes twice; the caller lists it once.
        # Phone, domain and company as numbers: their hash (odd), 0 for none. Equal values
        # have equal numbers; a rare equal hash only sends a pair on to `_compare`.
        tick = check if check is not None else _no_check
        ids = np.zeros((n, 3), dtype=np.int64)
        for i, m in enumerate(members):
            if i % CHECK_ROWS == 0:
                tick()
            ids[i] = [hash(m[c]) | 1 if m[c] else 0 for c in (4, 5, 3)]
        for key in (_as_written, _surname_first):
            positions, ordered = _sorted_order(members, key, tick)
            order = np.array(positions)
            firsts: list[Any] = []
            seconds: list[Any] = []
            for k in range(0, n, WINDOW):
                if check is not None and k % (WINDOW * 500) == 0:
                    check()
                close = process.cdist(ordered[k : k + WINDOW], ordered[k : k + 2 * WINDOW],
                                      scorer=fuzz.token_sort_ratio, score_cutoff=NAME_THRESHOLD,
                                      dtype=np.uint8)  # fmt: skip
                self.comparisons += close.size
                ii, jj = np.nonzero(np.triu(close, 1))
                firsts.append(order[ii + k])
                seconds.append(order[jj + k])
                if len(firsts) >= 500 or k + WINDOW >= n:
                    yield from _plausible(members, ids, np.concatenate(firsts),
                                          np.concatenate(seconds))  # fmt: skip
                    firsts, seconds = [], []


def _no_check() -> None:
    pass


def _sorted_order(members: list[_Entry], key: Any, check: Any) -> tuple[list[int], list[str]]:
    """Member positions in `key` order and their names, sorted a bucket (same first
    characters) at a time so that Cancel is noticed between buckets, not after a whole
    million-row sort."""
    buckets: dict[str, list[int]] = {}
    for i, m in enumerate(members):
        if i % CHECK_ROWS == 0:
            check()
        buckets.setdefault(key(m)[0][:SORT_PREFIX], []).append(i)
    order: list[int] = []
    names: list[str] = []
    for n, prefix in enumerate(sorted(buckets)):
        if n % 100 == 0:
            check()
        part = sorted(buckets.pop(prefix), key=lambda i: key(members[i]))
        order.extend(part)
        names.extend([members[i][2] for i in part])
    return order, names


def _plausible(members: list[_Entry], ids: Any, firsts: Any, seconds: Any
               ) -> Iterator[tuple[int, int]]:  # fmt: skip
    """The pairs (close names) that also share a phone, a domain or a company, or have similar
    companies: the rest of `_compare`'s test, for many pairs at once (`ids`: per member, a
    number for its phone, domain and company, 0 for none)."""
    x, y = ids[firsts], ids[seconds]
    keep = ((x == y) & (x != 0)).any(axis=1)
    rest = np.nonzero(~keep)[0].tolist()
    if rest:
        fa, fb = firsts.tolist(), seconds.tolist()
        scores = process.cpdist(
            [members[fa[i]][3] for i in rest], [members[fb[i]][3] for i in rest],
            scorer=fuzz.token_set_ratio, score_cutoff=COMPANY_THRESHOLD, dtype=np.uint8,
        )  # fmt: skip
        keep[rest] = scores > 0
    for a, b in zip(firsts[keep].tolist(), seconds[keep].tolist(), strict=True):
        yield (a, b) if a < b else (b, a)


def _screen(pairs: list[tuple[_Entry, _Entry]]) -> list[tuple[_Entry, _Entry]]:
    """The pairs `_compare` may accept (a superset: it still decides), in their order: same
    phone, or a close name and a shared domain or similar company. Scored in C in bulk."""
    if not pairs:
        return []
    names = process.cpdist([a[2] for a, _ in pairs], [b[2] for _, b in pairs],
                           scorer=fuzz.token_sort_ratio, score_cutoff=NAME_THRESHOLD,
                           dtype=np.uint8)  # fmt: skip
    keep = [bool(a[4]) and a[4] == b[4] for a, b in pairs]
    unsure: list[int] = []
    for i in np.nonzero(names)[0].tolist():
        if not keep[i]:
            a, b = pairs[i]
            if a[5] and a[5] == b[5]:
                keep[i] = True
            elif a[3] and b[3]:
                unsure.append(i)
    if unsure:
        companies = process.cpdist([pairs[i][0][3] for i in unsure],
                                   [pairs[i][1][3] for i in unsure],
                                   scorer=fuzz.token_set_ratio, score_cutoff=COMPANY_THRESHOLD,
                                   dtype=np.uint8)  # fmt: skip
        for i in np.asarray(unsure)[companies > 0].tolist():
            keep[i] = True
    return [p for p, k in zip(pairs, keep, strict=True) if k]


def _as_written(entry: _Entry) -> tuple[str, str]:
    return entry[2], entry[3]


def _surname_first(entry: _Entry) -> tuple[str, str]:
    first, _, last = entry[2].rpartition(" ")
    return f"{last} {first}", entry[3]


@lru_cache(maxsize=1 << 14)
def _domain(domain: str) -> str:
    """One shared string per domain: a file repeats a few hundred of them."""
    return domain.lower()


def _compare(a: _Entry, b: _Entry) -> PossibleDuplicate | None:
    if a[4] and a[4] == b[4]:
        reason, score = "same phone", 100
    else:
        if not a[2] or not b[2]:
            return None
        score = int(fuzz.token_sort_ratio(a[2], b[2]))
        if score < NAME_THRESHOLD:
            return None
        same_domain = bool(a[5]) and a[5] == b[5] and a[5] not in FREE_MAIL
        company = fuzz.token_set_ratio(a[3], b[3]) if a[3] and b[3] else 0
        if not (same_domain or company >= COMPANY_THRESHOLD):
            return None
        reason = "similar name and company"
    # New leads first, so the list reads "row 12 looks like lead 40".
    first, second = (a, b) if a[1] is not None else (b, a)
    # Names are the folded ones here; the caller puts the display names in for the listed few.
    return PossibleDuplicate(
        first[0], first[1], second[0], second[1], reason, score, first[2], second[2]
    )
