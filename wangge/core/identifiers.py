"""Chinese identifiers: the resident ID number (居民身份证号) and the unified social credit code
(统一社会信用代码), validated by their published structure and check characters.

- ID number, 18 characters (GB 11643): 6-digit region code, birth date YYYYMMDD, 3-digit
  sequence, check character: ISO 7064 MOD 11-2 over the first 17 digits (weights 2^(17-i) mod
  11), the result 10 written as X. The legacy 15-digit form has a 2-digit year and no check.
- Unified social credit code, 18 characters (GB 32100): registration authority (1), entity type
  (1), 6-digit region code, 9-character organisation code, check character: MOD 31 over the
  alphabet 0-9 A-H J-N P-R T-U W-Y (no I, O, Z, S, V), weights 3^i mod 31.
"""

from __future__ import annotations

import datetime as dt

_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_ID_CHECK = "10X98765432"  # check character for (sum mod 11) = 0..10
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


class IdentifierError(ValueError):
    """What is wrong with an identifier, in one sentence."""


def id_check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _birth_date(text: str) -> dt.date:
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise IdentifierError(f"the birth date {text} is not a real date") from None


def normalize_id_number(value: str, *, today: dt.date | None = None) -> str:
    """The 18-character ID number for ``value`` (15-digit legacy numbers are upgraded), or an
    IdentifierError saying what is wrong."""
    if not isinstance(value, str):
        raise IdentifierError("the ID number must be text")
    number = value.strip().upper().replace(" ", "")
    today = today or dt.date.today()
    if len(number) == 15:
        if not number.isdigit():
            raise IdentifierError("a 15-digit ID number has digits only")
        number18 = number[:6] + "19" + number[6:]
        _birth_date(number18[6:14])
        return number18 + id_check_character(number18)
    if len(number) != 18:
        raise IdentifierError(f"an ID number has 18 characters (or 15 in the old form), "
                              f"not {len(number)}")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdentifierError("an ID number is 17 digits and a digit or X")
    if number[0] not in "123456789" or number[:2] in ("10", "20", "30", "40", "50", "60", "70",
                                                      "80", "90"):
        raise IdentifierError(f"{number[:2]} is not a province code")
    born = _birth_date(number[6:14])
    if born > today or born.year < 1880:
        raise IdentifierError(f"the birth date {born.isoformat()} is not plausible")
    expected = id_check_character(number[:17])
    if number[17] != expected:
        raise IdentifierError(f"the check character is {number[17]}, it should be {expected}: "
                              "a digit was probably mistyped")
    return number


def birth_date_of(number18: str) -> dt.date:
    return _birth_date(number18[6:14])


def sex_of(number18: str) -> str:
    """'M' or 'F', from the parity of the sequence's last digit."""
    return "M" if int(number18[16]) % 2 else "F"


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    """The unified social credit code, upper-cased and checked, or an IdentifierError."""
    if not isinstance(value, str):
        raise IdentifierError("the credit code must be text")
    code = value.strip().upper().replace(" ", "")
    if len(code) != 18:
        raise IdentifierError(f"a unified social credit code has 18 characters, not {len(code)}")
    bad = [c for c in code if c not in USCC_ALPHABET]
    if bad:
        raise IdentifierError(f"the character {bad[0]!r} cannot appear in a credit code (the "
                              "letters I, O, S, V and Z are never used)")
    if not code[2:8].isdigit():
        raise IdentifierError("characters 3 to 8 are the region code: digits only")
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise IdentifierError(f"the check character is {code[17]}, it should be {expected}")
    return code


def mask(value: str, keep_start: int = 4, keep_end: int = 4) -> str:
    """``3505**********1234``: the ends kept, the middle starred."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_phone(value: str) -> str:
    """``138****5678``."""
    return mask(value, 3, 4)
