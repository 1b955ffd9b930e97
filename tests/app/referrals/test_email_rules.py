"""The fraud rules' normalisation, alone: what counts as the same email, phone or address."""

from __future__ import annotations

import pytest

from app.referrals.fraud import normalize_address, normalize_email, normalize_phone


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Ada@Example.com", "ada@example.COM"),
        ("ada+shop@example.com", "ada@example.com"),
        ("a.d.a@gmail.com", "ada@gmail.com"),
        ("A.Da+x@googlemail.com", "ada@gmail.com"),
    ],
)
def test_emails_that_reach_one_mailbox_are_the_same(one: str, other: str) -> None:
    assert normalize_email(one) == normalize_email(other)


def test_dots_count_outside_gmail() -> None:
    assert normalize_email("a.da@example.com") != normalize_email("ada@example.com")


def test_a_phone_written_two_ways_is_the_same() -> None:
    assert normalize_phone("+33 6 12 34 56 78") == normalize_phone("06.12.34.56.78")
    assert normalize_phone("12") is None


def test_an_address_folds_case_and_spacing_and_needs_a_street() -> None:
    one = {"address1": "1  Rue de la Paix", "city": "Paris", "zip": "75001", "country_code": "FR"}
    other = {"address1": "1 rue de la paix", "city": "PARIS", "zip": "75001", "country_code": "fr"}
    assert normalize_address(one) == normalize_address(other)
    assert normalize_address({"city": "Paris"}) is None
