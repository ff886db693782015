"""The cockpit's hand-built case set (its figures are worked out in its docstring) serves the
statistics tests too: both screens must agree."""

from wangge.cockpit.tests.conftest import (  # noqa: F401
    COUNTY,
    LIUCHENG,
    NOW,
    TZ,
    XIMEI,
    at,
    cases_set,
)
