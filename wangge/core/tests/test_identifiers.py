"""ID numbers and credit codes: structure and check characters; encryption and lookup."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from wangge.core import crypto
from wangge.core.identifiers import (
    IdentifierError,
    birth_date_of,
    id_check_character,
    mask,
    mask_phone,
    normalize_id_number,
    normalize_uscc,
    sex_of,
    uscc_check_character,
)

# the worked example of GB 11643: 11010519491231002 → check character X
GB_EXAMPLE = "11010519491231002X"


def test_the_standard_example_and_its_check_character():
    assert id_check_character("11010519491231002") == "X"
    assert normalize_id_number(GB_EXAMPLE) == GB_EXAMPLE
    assert normalize_id_number(" 11010519491231002x ") == GB_EXAMPLE
    assert birth_date_of(GB_EXAMPLE) == dt.date(1949, 12, 31)
    assert sex_of(GB_EXAMPLE) == "F"  # sequence 002: even


def test_a_mistyped_digit_is_caught_by_the_check_character():
    with pytest.raises(IdentifierError, match="should be X"):
        normalize_id_number("110105194912310021")


@pytest.mark.parametrize(("value", "fragment"), [
    ("1101051949123100", "18 characters"),
    ("11010519491331002X", "not a real date"),
    ("1101052099123100" + "2X", "not plausible"),
    ("A1010519491231002X", "17 digits"),
    ("01010519491231002X", "province"),
])
def test_malformed_id_numbers_say_what_is_wrong(value, fragment):
    with pytest.raises(IdentifierError, match=fragment):
        normalize_id_number(value, today=dt.date(2026, 11, 24))


def test_the_legacy_15_digit_form_is_upgraded():
    # 110105491231002 → 1949-12-31, with the check character computed
    upgraded = normalize_id_number("110105491231002")
    assert upgraded == GB_EXAMPLE


def test_unified_social_credit_codes():
    body = "91350583MA2XXXXX0"  # made-up body; the check character is computed
    code = body + uscc_check_character(body)
    assert normalize_uscc(code.lower()) == code
    wrong = body + ("0" if code[-1] != "0" else "1")
    with pytest.raises(IdentifierError, match="check character"):
        normalize_uscc(wrong)
    with pytest.raises(IdentifierError, match="never used"):
        normalize_uscc("91350583MA2XXXXXIO")
    with pytest.raises(IdentifierError, match="18 characters"):
        normalize_uscc("9135058")


def test_masking():
    assert mask("350583199001011234") == "3505**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask("123") == "***"


def test_encryption_round_trip_rotation_and_tampering(settings):
    old = "k1:" + crypto.new_key()
    settings.WANGGE_DATA_KEYS = old
    sealed = crypto.encrypt(GB_EXAMPLE, associated="person:7")
    assert GB_EXAMPLE not in sealed and crypto.key_id_of(sealed) == "k1"
    assert crypto.decrypt(sealed, associated="person:7") == GB_EXAMPLE
    with pytest.raises(crypto.DecryptionError, match="another record"):
        crypto.decrypt(sealed, associated="person:8")
    assert crypto.encrypt(GB_EXAMPLE) != crypto.encrypt(GB_EXAMPLE)  # a fresh nonce each time
    # rotation: a new current key; old values still read, and move on re-encryption
    settings.WANGGE_DATA_KEYS = "k2:" + crypto.new_key() + "," + old
    assert crypto.decrypt(sealed, associated="person:7") == GB_EXAMPLE
    moved = crypto.reencrypt(sealed, associated="person:7")
    assert crypto.key_id_of(moved) == "k2"
    assert crypto.decrypt(moved, associated="person:7") == GB_EXAMPLE
    settings.WANGGE_DATA_KEYS = "k3:" + crypto.new_key()
    with pytest.raises(crypto.DecryptionError, match="no longer configured"):
        crypto.decrypt(sealed)
    settings.WANGGE_DATA_KEYS = "k1:short"
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")


def test_lookup_hash_is_keyed_and_normalized(settings):
    settings.WANGGE_LOOKUP_KEY = "a" * 40
    first = crypto.lookup_hash("11010519491231002x")
    assert first == crypto.lookup_hash(" 11010519491231002X")
    settings.WANGGE_LOOKUP_KEY = "b" * 40
    assert crypto.lookup_hash("11010519491231002X") != first
