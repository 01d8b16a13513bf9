"""Real exports vary: other encodings, languages, layouts and workbooks still map correctly."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Lead
from app.services.importing import suggest_mapping
from app.services.importing.detect import detect
from app.services.importing.mapping import guess_field, split_full_name
from tests.unit.importing.helpers import accounted, do_import

PEOPLE = [
    ("Zoë", "Ångström", "zoe@cyberdyne.sec", "Cyberdyne Security", "CTO", "+1 (998) 449-2341"),
    ("François", "Lefèvre", "F.Lefevre@Initech.net", "Initech", "CIO", "+33 1 42 68 53 00"),
    ("José", "Müller", "jmuller@aperture.science", "Aperture Labs", "", "+49 30 901820"),
    ("Siobhán", "O’Neill", "", "Hooli", "VP Sales", "+353 1 555 0101"),
    ("Đặng", "Thị Mỹ", "dang@piedpiper.com", "", "Founder", ""),
]
EN = ["First Name", "Last Name", "Email", "Company", "Job Title", "Phone"]


def _table(headers, people=PEOPLE):
    return [headers, *[list(p) for p in people]]


def _write(path: Path, rows, *, encoding="utf-8", delimiter=",", before=(), after=()) -> Path:
    buf = io.StringIO()
    for line in before:
        buf.write(line + "\r\n")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    for line in after:
        buf.write(line + "\r\n")
    data = buf.getvalue().encode(encoding)
    if encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    path.write_bytes(data)
    return path


def _check(store, clock, path: Path, *, rows: int | None = None):
    rows = len(PEOPLE) if rows is None else rows
    result = do_import(store, clock, path, event="Variant")
    assert result.data_rows == rows
    assert accounted(result) == rows
    assert result.created == len(PEOPLE)
    with store.session() as s:
        got = s.execute(
            select(Lead.display_name, Lead.email_normalized, Lead.company, Lead.title)
            .where(Lead.import_batch_id == result.batch_id)
            .order_by(Lead.id)
        ).all()
    assert [g[0] for g in got] == [f"{p[0]} {p[1]}" for p in PEOPLE]
    assert [g[1] for g in got] == [p[2].lower() or None for p in PEOPLE]
    assert [g[2] for g in got] == [p[3] or None for p in PEOPLE]
    return result


def test_utf16_tab_excel_unicode_text(sqlite_store, clock, tmp_path):
    path = _write(tmp_path / "x.txt", _table(EN), encoding="utf-16-le", delimiter="\t")
    result = _check(sqlite_store, clock, path)
    assert result.detected["encoding"] == "utf-16"
    assert result.detected["delimiter"] == "\t"


def test_title_lines_and_footer(sqlite_store, clock, tmp_path):
    path = _write(
        tmp_path / "x.csv",
        _table(EN),
        before=["Lead export - Web Summit 2026", "Exported 2026-11-05 by booth app", ""],
        after=["", "Total scans,5", "Exported by LeadScan Pro"],
    )
    result = _check(sqlite_store, clock, path, rows=len(PEOPLE) + 1)  # the blank row counts
    assert result.detected["header_row"] == 4
    assert result.footer_rows == 2
    assert result.skipped_blank == 1


@pytest.mark.parametrize(
    ("headers", "delimiter", "encoding"),
    [
        (["Vorname", "Nachname", "E-Mail-Adresse", "Firma", "Position", "Telefon"], ";", "cp1252"),
        (["Prénom", "Nom", "Courriel", "Société", "Fonction", "Téléphone"], ";", "utf-8-sig"),
        (
            ["Nombre", "Apellidos", "Correo electrónico", "Empresa", "Cargo", "Teléfono"],
            ",",
            "utf-8",
        ),
        (
            ["firstName", "lastName", "workEmail", "companyName", "jobTitle", "mobilePhone"],
            "|",
            "utf-8",
        ),
        (
            ["FIRST_NAME", "LAST_NAME", "EMAIL_ADDRESS", "ORGANISATION", "POSITION", "TEL"],
            "\t",
            "utf-8",
        ),
    ],
    ids=["german", "french", "spanish", "camel", "upper-snake"],
)
def test_header_vocabulary(sqlite_store, clock, tmp_path, headers, delimiter, encoding):
    people = PEOPLE if encoding != "cp1252" else [p for p in PEOPLE if p[0] != "Đặng"]
    path = _write(tmp_path / "x.csv", _table(headers, people), encoding=encoding,
                  delimiter=delimiter)  # fmt: skip
    det = detect(path)
    mapping = suggest_mapping(det.headers, det.preview)
    assert mapping.fields == ["first_name", "last_name", "email", "company", "title", "phone"]
    assert det.delimiter == delimiter
    if encoding == "cp1252":
        result = do_import(sqlite_store, clock, path)
        assert result.created == len(people)
        return
    _check(sqlite_store, clock, path)


def test_full_name_column_is_split(sqlite_store, clock, tmp_path):
    rows = [["Name", "E-mail", "Organisation", "Title", "Phone"]]
    rows += [[f"{p[0]} {p[1]}", p[2], p[3], p[4], p[5]] for p in PEOPLE]
    result = _check(sqlite_store, clock, _write(tmp_path / "x.csv", rows))
    assert result.mapping["Name"] == "full_name"
    with sqlite_store.session() as s:
        first = s.scalars(
            select(Lead).where(Lead.import_batch_id == result.batch_id).order_by(Lead.id)
        ).first()
        assert (first.first_name, first.last_name) == ("Zoë", "Ångström")
    assert split_full_name("Lovelace, Ada") == ("Ada", "Lovelace")
    assert split_full_name("Mary Ann  Evans") == ("Mary Ann", "Evans")


def test_headers_that_say_nothing_are_sniffed_from_values(tmp_path):
    rows = [["Field 1", "Field 2", "Field 3", "Field 4"]]
    rows += [[p[0], p[2] or "x@y.org", p[5] or "+1 555 0100 200", "Hot"] for p in PEOPLE]
    det = detect(_write(tmp_path / "x.csv", rows))
    mapping = suggest_mapping(det.headers, det.preview)
    assert mapping.fields[1:] == ["email", "phone", "rating"]


def test_xlsx_first_or_chosen_sheet(sqlite_store, clock, tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.append(["Exhibitor lead report"])
    ws.append([])
    ws.append([*EN, "Scan date", "Rating"])
    for p in PEOPLE:
        # An Excel cell has no time zone: the file carries a naive date-time, as exports do.
        ws.append([*p, datetime(2026, 10, 8, 9, 30), "Warm"])  # noqa: DTZ001
    ws.append(["Total", 5])
    other = wb.create_sheet("Raw")
    other.append(["Email", "Company"])
    other.append(["solo@example.com", "Solo Inc"])
    path = tmp_path / "leads.xlsx"
    wb.save(path)

    result = _check(sqlite_store, clock, path)
    assert result.detected["sheet"] == "Summary"
    assert result.detected["header_row"] == 3
    with sqlite_store.session() as s:
        lead = s.scalars(select(Lead).where(Lead.import_batch_id == result.batch_id)).first()
        assert lead.qualifiers["rating"] == "Warm"
        assert lead.captured_at.isoformat().startswith("2026-10-08T09:30")

    det = detect(path, sheet="Raw")
    assert det.headers == ["Email", "Company"]


def test_qualifier_columns_feed_qualifiers_and_the_rest_is_kept(sqlite_store, clock, tmp_path):
    rows = [["Email", "Company", "Lead Rating", "Stars", "Purchase Timeframe", "Role in Purchase",
             "Budget", "Product Interest", "Scanned By", "Booth Zone"]]  # fmt: skip
    rows.append(["a@b.com", "B Inc", "Hot", "5", "0-3 months", "Decision maker", "50k",
                 "Security audit", "Lena", "Hall 4"])  # fmt: skip
    result = do_import(sqlite_store, clock, _write(tmp_path / "q.csv", rows))
    with sqlite_store.session() as s:
        lead = s.scalars(select(Lead).where(Lead.import_batch_id == result.batch_id)).one()
    assert lead.qualifiers == {
        "rating": "Hot", "stars": "5", "timeframe": "0-3 months", "role": "Decision maker",
        "budget": "50k", "interest": "Security audit", "scanned_by": "Lena",
    }  # fmt: skip
    assert lead.raw_row["Booth Zone"] == "Hall 4"  # unmapped, not lost


def test_nul_bytes_removed_with_warning(sqlite_store, clock, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"Email,Company\r\nnul\x00l@x.com,Acme\x00 Inc\r\n")
    result = do_import(sqlite_store, clock, path)
    assert result.created == 1
    assert any("NUL" in w for w in result.warnings)
    with sqlite_store.session() as s:
        assert s.scalars(select(Lead.company)).one() == "Acme Inc"


def test_ragged_rows_and_long_cells(sqlite_store, clock, tmp_path):
    long = "x" * 300_000
    path = _write(
        tmp_path / "r.csv",
        [
            EN,
            ["Ann", "Lee", "ann@lee.io"],
            ["Bo", "Ng", "bo@ng.io", "Ng Co", "CEO", "1", "extra", "more"],
            ["Cy", "Li", "cy@li.io", long],
        ],
    )
    result = do_import(sqlite_store, clock, path)
    assert (result.created, result.rejected, result.incomplete) == (3, 0, 1)
    with sqlite_store.session() as s:
        lead = s.scalars(select(Lead).where(Lead.email_normalized == "cy@li.io")).one()
        assert len(lead.company) == 255  # the column holds what fits...
        assert lead.raw_row["Company"] == long  # ...and the raw row keeps every character


def test_guess_field_words():
    assert guess_field("Email Address") == "email"
    assert guess_field("Work Email") == "email"
    assert guess_field("Organisation") == "company"
    assert guess_field("Company Name") == "company"
    assert guess_field("Job Title") == "title"
    assert guess_field("Position") == "title"
    assert guess_field("Vorname / First name") == "first_name"
    assert guess_field("Booth Zone") is None
