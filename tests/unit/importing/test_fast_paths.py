"""The import's fast paths give exactly the answer of the slow path they skip (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.services.importing import validate
from app.services.importing.validate import email_is_valid

ATOM = "abcxyzABCXYZ0189!#$%&'*+/=?^_`{|}~-"
_atom = st.text(ATOM, min_size=1, max_size=30)
_local = st.one_of(
    st.lists(_atom, min_size=1, max_size=4).map(".".join),  # dot-atoms, some over 64
    st.text(ATOM + '. "(),:;<>@[\\]éü€\t', min_size=0, max_size=70),  # anything near it
)
_label = st.text("abcxyz0189-", min_size=1, max_size=70)
_long_label = st.integers(1, 64).map(lambda n: "a" * n)
_domain = st.one_of(
    st.lists(_label, min_size=1, max_size=5).map(".".join),
    st.lists(_long_label, min_size=2, max_size=5).map(".".join),  # near the length limits
    st.lists(
        st.sampled_from(["xn--mnchen-3ya", "xn--fsq", "XN--80AK6AA92E", "com"]),
        min_size=1,
        max_size=4,
    ).map(".".join),
    st.lists(st.text("abcxyz0189-éü_", min_size=0, max_size=20), min_size=1, max_size=4).map(
        ".".join
    ),
    st.sampled_from(["example.com", "EXAMPLE.COM", "localhost", "[127.0.0.1]", "com", "a.b"]),
)


def _validator_says(email: str) -> bool:
    try:
        validate_email(email, check_deliverability=False)
        return True
    except EmailNotValidError:
        return False


@settings(max_examples=3000, deadline=None)
@given(local=_local, domain=_domain)
@example(local="b" * 64, domain=".".join(["a" * 63] * 3) + ".com")  # 260 characters in all
def test_the_ascii_email_fast_path_agrees_with_email_validator(local: str, domain: str) -> None:
    email = f"{local}@{domain}"
    assert email_is_valid(email) == _validator_says(email)


def _strptime_reading(text: str) -> datetime | None:
    """What the formats give one at a time, the US AM/PM one first (as after such a row)."""
    for fmt in ("%m/%d/%Y %I:%M %p", *validate._DATE_FORMATS):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


@settings(max_examples=1000, deadline=None)
@given(
    month=st.integers(0, 13).map(str) | st.sampled_from(["01", "09", "12", "00", "013"]),
    day=st.integers(0, 32).map(str) | st.sampled_from(["01", "09", "29", "30", "31"]),
    year=st.sampled_from(["2026", "2024", "1999", "0999", "20261"]),
    hour=st.integers(0, 13).map(str) | st.sampled_from(["00", "01", "12"]),
    minute=st.sampled_from(["00", "5", "07", "59", "60", "99"]),
    half=st.sampled_from(["AM", "PM", "am", "pm", "XM", ""]),
    space=st.sampled_from([" ", "  ", "\t"]),
)
def test_the_us_scan_time_fast_path_reads_what_strptime_reads(
    month: str, day: str, year: str, hour: str, minute: str, half: str, space: str
) -> None:
    text = f"{month}/{day}/{year}{space}{hour}:{minute} {half}".strip()
    validate._last_format[0] = "%m/%d/%Y %I:%M %p"
    assert validate._parse_other(text) == _strptime_reading(text)
