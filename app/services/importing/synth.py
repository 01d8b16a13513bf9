"""Synthetic badge-scan files for benchmarks, tests and demos (deterministic for a seed)."""

from __future__ import annotations

import csv
import random
import unicodedata
from collections.abc import Iterator
from pathlib import Path

FIRST = (
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Edsger",
    "Hedy",
    "Tim",
    "Radia",
    "John",
    "Katherine",
    "Donald",
    "Sophie",
    "Jean",
    "Lars",
    "Ingrid",
    "Mateo",
    "Priya",
    "Wei",
    "Yuki",
    "Omar",
    "Fatima",
    "Chidi",
    "Zoë",
    "Amara",
    "Dmitri",
    "Siobhán",
    "José",
    "Søren",
    "Hiroshi",
    "Olga",
    "Ravi",
    "Elena",
    "Kwame",
)
LAST = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Lamarr",
    "Berners-Lee",
    "Perlman",
    "McCarthy",
    "Johnson",
    "Knuth",
    "Wilson",
    "Sammet",
    "Nilsson",
    "Müller",
    "García",
    "Patel",
    "Wang",
    "Tanaka",
    "Haddad",
    "Okafor",
    "Dubois",
    "Kowalski",
    "O'Neill",
    "Lefèvre",
    "Kierkegård",
    "Novak",
    "Rossi",
    "Sato",
    "Ivanova",
    "Mensah",
    "Schmidt",
    "Fernández",
    "Nakamura",
    "Brown",
    "Smith",
)
COMPANIES = [
    ("Acme Robotics", "acmerobotics.dev"),
    ("Globex Corporation", "globex.com"),
    ("Initech", "initech.net"),
    ("Umbrella Health", "umbrella-health.org"),
    ("Stark Managed IT", "starkit.co"),
    ("Wayne Cloud Services", "waynecloud.com"),
    ("Hooli", "hooli.xyz"),
    ("Pied Piper", "piedpiper.com"),
    ("Soylent Foods", "soylent.com"),
    ("Tyrell Data", "tyrelldata.ai"),
    ("Aperture Labs", "aperture.science"),
    ("Vandelay Industries", "vandelay.com"),
]
# Extra syllables and company words, so big files have realistic few same-name colleagues.
_SUFFIXES = ("", "son", "sen", "ski", "ez", "ini", "berg", "stein", "ova", "ley", "ford", "ton")
_WORDS = (
    "Blue", "North", "Apex", "Silver", "Quantum", "Harbor", "Summit", "Pioneer", "Vertex",
    "Cedar", "Atlas", "Nimbus", "Orbit", "Crimson", "Granite", "Lumen", "Delta", "Echo",
)  # fmt: skip
_KINDS = ("Systems", "Labs", "Logistics", "Health", "Analytics", "Cloud", "Foods", "Energy",
          "Robotics", "Finance", "Media", "Security")  # fmt: skip


def _company(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.3:
        return rng.choice(COMPANIES)
    a, b = rng.choice(_WORDS), rng.choice(_KINDS)
    return f"{a} {b}", f"{a}{b}.com".lower()


TITLES = ("CEO", "CTO", "CIO", "VP Engineering", "IT Manager", "DevOps Lead", "Consultant")
RATINGS = ("Hot", "Warm", "Cold")
HEADERS = ["First Name", "Last Name", "Email", "Company", "Title", "Phone", "Country",
           "Scan Time", "Rating", "Notes"]  # fmt: skip


def badge_rows(rows: int, seed: int = 1, dup_rate: float = 0.03) -> Iterator[list[str]]:
    """Rows shaped like a lead-retrieval export: ~dup_rate repeats (re-cased e-mail), a few
    blank rows, some rows without e-mail or company."""
    rng = random.Random(seed)
    recent: list[list[str]] = []
    for i in range(rows):
        r = rng.random()
        if r < 0.002:
            yield [""] * len(HEADERS) if rng.random() < 0.5 else ["  "] * len(HEADERS)
            continue
        if recent and r < 0.002 + dup_rate:
            row = list(rng.choice(recent))
            row[2] = row[2].upper()
            yield row
            continue
        first, last = rng.choice(FIRST), rng.choice(LAST) + rng.choice(_SUFFIXES)
        company, domain = _company(rng)
        local = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
        email = local.decode().replace("'", "").lower() + f"{i}@{domain}"
        if rng.random() < 0.02:
            email = ""
        row = [
            first,
            last,
            email,
            company if rng.random() > 0.02 else "",
            rng.choice(TITLES),
            f"+1 ({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
            rng.choice(("United States", "Germany", "France", "Canada", "Japan")),
            f"10/{rng.randint(1, 28):02d}/2026 {rng.randint(1, 12)}:{rng.randint(0, 59):02d} AM",
            rng.choice(RATINGS),
            rng.choice(("Wants pricing", "Met at booth, send case study", "", "Budget in Q1")),
        ]
        if len(recent) < 500:
            recent.append(row)
        elif rng.random() < 0.05:
            recent[rng.randrange(500)] = row
        yield row


def write_badge_csv(
    path: Path, rows: int, *, seed: int = 1, dup_rate: float = 0.03, delimiter: str = ","
) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(HEADERS)
        for row in badge_rows(rows, seed, dup_rate):
            w.writerow(row)
    return path
