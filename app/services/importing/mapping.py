"""Stage 2: which column is which lead field.

Headers are matched against a vocabulary (English variants, camelCase/snake_case/UPPER,
German, French, Spanish). Where a header says nothing, the values decide (a column of e-mail
addresses is the e-mail column). Qualifier columns (rating, stars, timeframe, role in purchase,
budget, product interest, scanned by, notes) feed `Lead.qualifiers`; every other column is kept
in `raw_row`. Mappings can be saved as presets keyed by a header signature and are re-applied
automatically to files with the same header.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.services.action_error import ActionError

# Lead columns an import can fill, in the order the wizard lists them.
LEAD_FIELDS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name (split)",
    "email": "E-mail",
    "phone": "Phone",
    "company": "Company",
    "title": "Job title",
    "country": "Country",
    "industry": "Industry",
    "headcount": "Employees",
    "captured_at": "Scan date",
}
QUALIFIER_FIELDS: dict[str, str] = {
    "rating": "Rating (Hot/Warm/Cold)",
    "stars": "Stars (1-5)",
    "timeframe": "Purchase timeframe",
    "role": "Role in purchase",
    "budget": "Budget",
    "interest": "Product interest",
    "scanned_by": "Scanned by",
    "notes": "Notes",
}
ALL_FIELDS: dict[str, str] = {**LEAD_FIELDS, **QUALIFIER_FIELDS}

_VOCAB: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "e mail",
        "email address",
        "e mail address",
        "mail",
        "work email",
        "business email",
        "email work",
        "primary email",
        "contact email",
        "courriel",
        "adresse email",
        "adresse e mail",
        "adresse mail",
        "correo",
        "correo electronico",
        "email adresse",
        "e mail adresse",
        "emailadresse",
        "mail adresse",
        "mailadresse",
        "direccion de correo",
        "email id",
        "attendee email",
    ),
    "first_name": (
        "first name",
        "firstname",
        "first",
        "given name",
        "forename",
        "fname",
        "vorname",
        "prenom",
        "nombre",
        "nombre de pila",
        "attendee first name",
        "contact first name",
    ),
    "last_name": (
        "last name",
        "lastname",
        "last",
        "surname",
        "family name",
        "lname",
        "nachname",
        "familienname",
        "nom",
        "nom de famille",
        "apellido",
        "apellidos",
        "attendee last name",
        "contact last name",
    ),
    "full_name": (
        "name",
        "full name",
        "fullname",
        "contact name",
        "contact",
        "attendee",
        "attendee name",
        "visitor",
        "visitor name",
        "person",
        "lead name",
        "nombre completo",
        "nom complet",
        "vollstandiger name",
        "teilnehmer",
        "besucher",
        "kontakt",
        "ansprechpartner",
        "participant",
        "asistente",
        "badge name",
    ),
    "company": (
        "company",
        "company name",
        "organisation",
        "organization",
        "organisation name",
        "organization name",
        "org",
        "employer",
        "account",
        "account name",
        "firm",
        "business",
        "business name",
        "firma",
        "firmenname",
        "unternehmen",
        "societe",
        "entreprise",
        "empresa",
        "compania",
        "nombre de la empresa",
        "organizacion",
        "raison sociale",
        "institution",
        "exhibitor company",
    ),
    "title": (
        "title",
        "job title",
        "jobtitle",
        "position",
        "job position",
        "designation",
        "job",
        "job role",
        "berufsbezeichnung",
        "titel",
        "stellung",
        "funktion",
        "titre",
        "fonction",
        "poste",
        "intitule du poste",
        "cargo",
        "puesto",
        "titulo",
    ),
    "phone": (
        "phone",
        "phone number",
        "telephone",
        "telephone number",
        "tel",
        "tel no",
        "mobile",
        "mobile phone",
        "mobile number",
        "cell",
        "cell phone",
        "work phone",
        "direct phone",
        "business phone",
        "phone work",
        "telefon",
        "telefonnummer",
        "handy",
        "mobil",
        "telephone portable",
        "portable",
        "numero de telephone",
        "telefono",
        "movil",
        "celular",
    ),
    "country": (
        "country",
        "country region",
        "country name",
        "land",
        "pays",
        "pais",
        "nation",
    ),
    "industry": ("industry", "branche", "secteur", "secteur d activite", "industria", "sector"),
    "headcount": (
        "employees",
        "number of employees",
        "company size",
        "headcount",
        "employee count",
        "staff",
        "mitarbeiter",
        "mitarbeiterzahl",
        "anzahl mitarbeiter",
        "effectif",
        "empleados",
        "numero de empleados",
    ),
    "captured_at": (
        "scan time",
        "scan date",
        "scanned at",
        "scanned on",
        "scan timestamp",
        "date",
        "date time",
        "datetime",
        "timestamp",
        "captured at",
        "capture date",
        "created",
        "created at",
        "date scanned",
        "datum",
        "scan datum",
        "erfasst am",
        "date de scan",
        "date du scan",
        "fecha",
        "fecha de escaneo",
        "visit date",
        "lead date",
    ),
    "rating": (
        "rating",
        "lead rating",
        "temperature",
        "lead temperature",
        "lead quality",
        "quality",
        "priority",
        "bewertung",
        "einstufung",
        "evaluation",
        "qualification",
        "calificacion",
        "valoracion",
        "hot warm cold",
    ),
    "stars": ("stars", "star rating", "star", "sterne", "etoiles", "estrellas"),
    "timeframe": (
        "purchase timeframe",
        "timeframe",
        "time frame",
        "buying timeframe",
        "timeline",
        "purchase timeline",
        "when to buy",
        "kaufzeitraum",
        "zeitrahmen",
        "zeitraum",
        "delai",
        "delai d achat",
        "horizon d achat",
        "plazo",
        "plazo de compra",
    ),
    "role": (
        "role in purchase",
        "purchase role",
        "buying role",
        "purchasing role",
        "decision role",
        "role in purchasing",
        "purchasing authority",
        "decision maker",
        "role",
        "rolle",
        "rolle beim kauf",
        "entscheider",
        "role dans l achat",
        "rol",
        "rol en la compra",
    ),
    "budget": ("budget", "budget range", "purchase budget", "presupuesto", "budget eur"),
    "interest": (
        "product interest",
        "interest",
        "interests",
        "interested in",
        "products",
        "product",
        "products of interest",
        "area of interest",
        "topic",
        "topics",
        "produktinteresse",
        "interesse",
        "interessen",
        "produkt",
        "interet",
        "interets",
        "produit",
        "interes",
        "intereses",
        "producto",
    ),
    "scanned_by": (
        "scanned by",
        "scanner",
        "captured by",
        "booth staff",
        "staff member",
        "rep",
        "sales rep",
        "collected by",
        "erfasst von",
        "gescannt von",
        "scanne par",
        "escaneado por",
        "badge scanned by",
        "scan user",
        "user",
    ),
    "notes": (
        "notes",
        "note",
        "comment",
        "comments",
        "remarks",
        "remark",
        "memo",
        "bemerkung",
        "bemerkungen",
        "notiz",
        "notizen",
        "kommentar",
        "kommentare",
        "remarque",
        "remarques",
        "commentaire",
        "commentaires",
        "notas",
        "nota",
        "comentario",
        "comentarios",
        "observaciones",
        "follow up notes",
        "lead notes",
        "booth notes",
    ),
}
_PHRASES: dict[str, str] = {p: f for f, words in _VOCAB.items() for p in words}
# Word-level fallbacks for headers the phrase list does not know ("Attendee E-mail (work)").
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("email", "email"),
    ("mail", "email"),
    ("courriel", "email"),
    ("correo", "email"),
    ("phone", "phone"),
    ("telefon", "phone"),
    ("telephone", "phone"),
    ("telefono", "phone"),
    ("mobile", "phone"),
    ("firstname", "first_name"),
    ("vorname", "first_name"),
    ("prenom", "first_name"),
    ("lastname", "last_name"),
    ("surname", "last_name"),
    ("nachname", "last_name"),
    ("apellido", "last_name"),
    ("company", "company"),
    ("organisation", "company"),
    ("organization", "company"),
    ("firma", "company"),
    ("empresa", "company"),
    ("societe", "company"),
    ("unternehmen", "company"),
    ("title", "title"),
    ("position", "title"),
    ("country", "country"),
    ("industry", "industry"),
    ("employees", "headcount"),
    ("rating", "rating"),
    ("timeframe", "timeframe"),
    ("budget", "budget"),
    ("interest", "interest"),
    ("comment", "notes"),
    ("note", "notes"),
)


def normalize_header(header: str) -> str:
    """'Email_Address', 'emailAddress', 'EMAIL ADDRESS', 'E-Mail-Adresse' -> comparable words."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", header.strip())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def guess_field(header: str) -> str | None:
    """The field a header names, or None when the words say nothing known."""
    norm = normalize_header(header)
    if not norm:
        return None
    if norm in _PHRASES:
        return _PHRASES[norm]
    # "Vorname / First name", "Company (Firma)": any part that is a known phrase.
    for part in re.split(r"[/|()\[\]]", header):
        p = normalize_header(part)
        if p in _PHRASES:
            return _PHRASES[p]
    compact = norm.replace(" ", "")
    if compact in _PHRASES:
        return _PHRASES[compact]
    words = set(norm.split())
    for key, fld in _KEYWORDS:
        if key in words or (len(key) > 5 and key in compact):
            return fld
    return None


# -- value sniffing -----------------------------------------------------------------------

_EMAIL_RE = re.compile(r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$")
_PHONE_RE = re.compile(r"^\s*\+?[\d\s().\-/]{7,}\s*$")
_RATING_WORDS = {"hot", "warm", "cold", "a", "b", "c", "heiss", "kalt", "chaud", "froid"}


def sniff_values(values: Sequence[str]) -> str | None:
    """The field a column's sample values look like, when at least 60% agree."""
    vals = [v.strip() for v in values if v and v.strip()]
    if len(vals) < 2:
        return None

    def share(pred: Any) -> float:
        return sum(1 for v in vals if pred(v)) / len(vals)

    if share(_EMAIL_RE.match) >= 0.6:
        return "email"
    if share(lambda v: _PHONE_RE.match(v) and sum(ch.isdigit() for ch in v) >= 7) >= 0.6:
        return "phone"
    if share(lambda v: v.lower() in _RATING_WORDS) >= 0.8:
        return "rating"
    return None


class MappingError(ActionError, ValueError):
    """A preset that cannot be saved or used as asked (still a ValueError, as it was)."""

    exit_code = 2  # bad input on the command line


@dataclass
class Mapping:
    """Column index -> field name (None: kept in raw_row only)."""

    headers: list[str]
    fields: list[str | None]
    preset: str | None = None

    def as_dict(self) -> dict[str, str]:
        """Source column -> field, for the CLI and the batch record."""
        out: dict[str, str] = {}
        for h, f in zip(self.headers, self.fields, strict=False):
            if f:
                key, n = h, 2
                while key in out:
                    key, n = f"{h} ({n})", n + 1
                out[key] = f
        return out

    def index_of(self, field_name: str) -> int | None:
        try:
            return self.fields.index(field_name)
        except ValueError:
            return None


def suggest_mapping(headers: Sequence[str], sample_rows: Sequence[Sequence[str]] = ()) -> Mapping:
    """Suggested fields for `headers`: words first, then values for columns words leave open."""
    fields: list[str | None] = []
    used: set[str] = set()
    for h in headers:
        f = guess_field(h)
        # One column per field: a second "Phone" (e.g. mobile) stays in raw_row.
        if f in used:
            f = None
        if f:
            used.add(f)
        fields.append(f)
    if "full_name" in used and ("first_name" in used or "last_name" in used):
        # "Name" next to "First name" usually means the last name.
        i = fields.index("full_name")
        fields[i] = "last_name" if "last_name" not in used else None
    for i, f in enumerate(fields):
        if f is not None:
            continue
        column = [row[i] for row in sample_rows if i < len(row)]
        sniffed = sniff_values(column)
        if sniffed and sniffed not in used:
            fields[i] = sniffed
            used.add(sniffed)
    return Mapping(list(headers), fields)


def mapping_from_dict(headers: Sequence[str], by_header: dict[str, str]) -> Mapping:
    """A saved {header: field} mapping applied to `headers` (unknown fields ignored)."""
    fields = [by_header.get(h) if by_header.get(h) in ALL_FIELDS else None for h in headers]
    return Mapping(list(headers), fields)


def split_full_name(name: str) -> tuple[str | None, str | None]:
    """'Ada Lovelace' -> (Ada, Lovelace); 'Lovelace, Ada' -> (Ada, Lovelace)."""
    name = " ".join(name.split())
    if not name:
        return None, None
    if "," in name:
        last, _, first = name.partition(",")
        return (first.strip() or None), (last.strip() or None)
    parts = name.split(" ")
    if len(parts) == 1:
        return parts[0], None
    return " ".join(parts[:-1]), parts[-1]


# -- presets ------------------------------------------------------------------------------


def header_signature(headers: Sequence[str]) -> str:
    canon = "\x1f".join(normalize_header(h) for h in headers)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()
