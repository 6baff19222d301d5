"""cPanel username/password generation and WHM size parsing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.cpanel.module import parse_megabytes, scrub
from plugins.cpanel.naming import RESERVED, generate_password, generate_username, username_base

VALID = re.compile(r"^[a-z][a-z0-9]{0,7}$")


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("Example.COM", "example"),
        ("www.my-shop.example.org", "myshop"),
        ("averyveryverylongname.net", "averyver"),
        ("123abc.example", "abc"),
        ("testing-site.example", "utesting"),
        ("4711.example", "user"),
        ("", "user"),
    ],
)
def test_username_base(domain: str, expected: str) -> None:
    assert username_base(domain) == expected


def test_taken_names_get_the_smallest_free_numeric_suffix() -> None:
    assert generate_username("example.com") == "example"
    assert generate_username("example.com", {"example"}) == "example1"
    assert generate_username("example.com", {"example", "example1"}) == "example2"
    taken = {"averyver"} | {f"averyve{n}" for n in range(1, 10)}
    assert generate_username("averyverylong.net", taken) == "averyv10"


def test_system_account_names_are_never_generated() -> None:
    assert "mail" in RESERVED
    assert generate_username("mail.example") == "mail1"


@given(
    domain=st.text(max_size=40),
    taken=st.sets(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", max_size=8),
                  max_size=30),
)
def test_generated_usernames_follow_cpanels_rules(domain: str, taken: set[str]) -> None:
    name = generate_username(domain, taken)
    assert VALID.match(name), name
    assert not name.startswith("test")
    assert name not in taken and name not in RESERVED


def test_passwords_are_random_and_mix_character_classes() -> None:
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20
    for password in passwords:
        assert len(password) == 16
        assert re.search(r"[a-z]", password) and re.search(r"[A-Z]", password)
        assert re.search(r"[0-9]", password) and re.search(r"[^A-Za-z0-9]", password)
    with pytest.raises(ValueError):
        generate_password(4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("14M", 14), ("0M", 0), ("1.5G", 1536), ("512K", 1), ("2.1M", 3), ("7", 7),
     ("unlimited", None), ("", None), (None, None), ("lots", None)],
)
def test_parse_megabytes(text: str | None, expected: int | None) -> None:
    assert parse_megabytes(text) == expected


def test_scrub_masks_a_secret_everywhere() -> None:
    raw = {"metadata": {"output": {"raw": "PassWord: s3cret"}}, "list": ["s3cret", 1]}
    assert scrub(raw, "s3cret") == {
        "metadata": {"output": {"raw": "PassWord: ********"}}, "list": ["********", 1],
    }
    assert scrub(raw, "") is raw
