"""The people and territory of the case tests, reused for the grid-worker app."""

from wangge.cases.tests.conftest import (  # noqa: F401  (fixtures)
    GRID,
    GRID_POINT,
    OTHER_GRID_POINT,
    people,
    png_bytes,
)
