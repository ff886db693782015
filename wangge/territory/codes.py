"""Division and grid codes.

- County (区/县):        12 digits, ``PPCCDD000000``: the 6-digit county code and six zeros.
- Township (街道/镇):    12 digits, ``PPCCDDTTT000``: township serial TTT ≠ 000.
- Village (社区/村):     12 digits, ``PPCCDDTTTVVV``: village serial VVV ≠ 000.
- Grid (网格):           15 digits: the village's 12 digits and a serial ≠ 000.
- Second-level grid:     18 digits: the grid's 15 digits and a serial ≠ 000.

The *prefix* of a code is the part that all its descendants share: 6 digits for a county,
9 for a township, the whole code below. Scoping and tree queries rely on it.
"""

from __future__ import annotations

from wangge.territory.choices import Level

_ZERO3 = "000"


def level_of(code: str) -> Level | None:
    """The level a well-formed code belongs to, or None when the code is malformed."""
    if not isinstance(code, str) or not code.isdigit() or not code.isascii():
        return None
    if len(code) == 12:
        if code[:2] == "00":
            return None
        if code[6:] == "000000":
            # 6-digit county-level code; 东莞 (441900) and 中山 have townships directly under a
            # prefecture-level city, so a county part of 00 is allowed for the territory root.
            return Level.COUNTY
        if code[6:9] == _ZERO3:
            return None
        return Level.TOWNSHIP if code[9:] == _ZERO3 else Level.VILLAGE
    if len(code) == 15:
        return Level.GRID if level_of(code[:12]) == Level.VILLAGE and code[12:] != _ZERO3 else None
    if len(code) == 18:
        return Level.SUBGRID if level_of(code[:15]) == Level.GRID and code[15:] != _ZERO3 else None
    return None


def code_problem(code) -> str | None:
    """A sentence saying what is wrong with ``code``, or None when it is well formed."""
    if not isinstance(code, str) or code == "":
        return "missing code"
    if not code.isascii() or not code.isdigit():
        return f"code {code!r} must contain digits only"
    if len(code) not in (12, 15, 18):
        return (
            f"code {code!r} has {len(code)} digits; expected 12 (county, township, village), "
            "15 (grid) or 18 (second-level grid)"
        )
    if level_of(code) is None:
        if len(code) == 12:
            return (
                f"code {code!r} is not a division code: a county ends in 000000, a township "
                "has a non-zero township part (digits 7-9) and ends in 000"
            )
        return f"code {code!r}: the serial after the parent code must not be 000"
    return None


def prefix_of(code: str) -> str:
    level = level_of(code)
    if level == Level.COUNTY:
        return code[:6]
    if level == Level.TOWNSHIP:
        return code[:9]
    return code


def parent_code_of(code: str) -> str | None:
    """The code of the parent area implied by the code itself (None for a county)."""
    level = level_of(code)
    if level == Level.TOWNSHIP:
        return code[:6] + "000000"
    if level == Level.VILLAGE:
        return code[:9] + _ZERO3
    if level == Level.GRID:
        return code[:12]
    if level == Level.SUBGRID:
        return code[:15]
    return None


def is_valid_child(parent_code: str, child_code: str) -> bool:
    """True when child_code is a well-formed code directly under parent_code."""
    return level_of(child_code) is not None and parent_code_of(child_code) == parent_code
