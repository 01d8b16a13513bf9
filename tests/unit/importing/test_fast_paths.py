"""The import's fast paths give exactly the answer of the slow path they skip (issue 17)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

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
