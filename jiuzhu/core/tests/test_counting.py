from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from jiuzhu.core import counting
from jiuzhu.core.testing import factories
from jiuzhu.registry.models import Household


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_small_counts_are_always_exact() -> None:
    factories.make_household()
    assert counting.cached_count(Household.objects.all()) == 1
    factories.make_household()
    assert counting.cached_count(Household.objects.all()) == 2


@pytest.mark.django_db
def test_large_counts_are_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counting, "LARGE", 2)
    factories.make_household()
    factories.make_household()
    assert counting.cached_count(Household.objects.all()) == 2
    factories.make_household()
    assert counting.cached_count(Household.objects.all()) == 2  # within SECONDS: the cached figure
    assert counting.cached_count(Household.objects.filter(urban_rural="rural")) == 3  # another query: exact
