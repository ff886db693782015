import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The per-address login limit lives in the cache: every test starts with none used."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
