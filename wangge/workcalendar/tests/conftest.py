import pytest

from wangge.workcalendar.calendar import clear_cache


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Each test starts and ends with an empty DB-calendar cache (test transactions roll back)."""
    clear_cache()
    yield
    clear_cache()
