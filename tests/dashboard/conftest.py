import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """The dashboard keeps figures in the cache: each test starts without them."""
    cache.clear()
    yield
    cache.clear()
