"""The 16-digit city-component code (城市部件编码, after GB/T 30428.2 / CJ/T 214):

    DDDDDD  MM  mm  SSSSSS
    county  大类 小类 serial

- the first 6 digits are the county's division code, and must be the territory's county;
- 大类 (2 digits) and 小类 (2 more) together are a component category's 4-digit code in the
  case taxonomy (``cases.Category`` of kind ``component``, codes 51xx–56xx);
- the serial is 6 digits and not 000000.
"""

from __future__ import annotations

from wangge.territory.choices import Level

CODE_LENGTH = 16


class ComponentCodeError(ValueError):
    """What is wrong with a component code, in one sentence."""


def county_prefixes() -> set[str]:
    """The 6-digit division codes of the territory's counties."""
    from wangge.territory.models import Area

    return {code[:6] for code in Area.objects.filter(level=Level.COUNTY)
            .values_list("code", flat=True)}


def component_categories() -> dict[str, object]:
    """4-digit code → the component 小类 (``cases.Category``)."""
    from wangge.cases.choices import Kind
    from wangge.cases.models import Category

    return {c.code: c for c in Category.objects.filter(kind=Kind.COMPONENT,
                                                        parent__isnull=False)}


def check_component_code(value, *, counties: set[str] | None = None,
                         categories: dict | None = None):
    """``(code, category)`` for a valid code, else a ComponentCodeError saying what is wrong.
    ``counties`` and ``categories`` may be passed in to check many codes with two queries."""
    if not isinstance(value, str) or not value.strip():
        raise ComponentCodeError("the component code is missing")
    code = value.strip().replace(" ", "")
    if not code.isascii() or not code.isdigit():
        raise ComponentCodeError(f"the component code {code!r} must contain digits only")
    if len(code) != CODE_LENGTH:
        raise ComponentCodeError(f"a component code has 16 digits (6 division, 2 major, "
                                 f"2 minor, 6 serial), not {len(code)}")
    counties = county_prefixes() if counties is None else counties
    if code[:6] not in counties:
        expected = ", ".join(sorted(counties)) or "none loaded"
        raise ComponentCodeError(f"the division part {code[:6]} is not the territory's county "
                                 f"({expected})")
    categories = component_categories() if categories is None else categories
    category = categories.get(code[6:10])
    if category is None:
        if not any(c.startswith(code[6:8]) for c in categories):
            raise ComponentCodeError(f"the major category {code[6:8]} is not a component "
                                     "category (大类) of the taxonomy")
        raise ComponentCodeError(f"the minor category {code[6:10]} is not a component "
                                 "category (小类) of the taxonomy")
    if code[10:] == "000000":
        raise ComponentCodeError("the serial (the last 6 digits) must not be 000000")
    return code, category
