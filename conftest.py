"""Project-wide pytest fixtures."""

from __future__ import annotations

import pytest

from jiuzhu.accounts.models import Role, User
from jiuzhu.core.testing import factories


@pytest.fixture
def county_manager(db: None) -> User:
    return factories.make_user(Role.COUNTY_MANAGER)


@pytest.fixture
def township_officer(db: None) -> User:
    return factories.make_user(Role.TOWNSHIP_OFFICER)


@pytest.fixture
def village_worker(db: None) -> User:
    return factories.make_user(Role.VILLAGE_INFO_WORKER)


@pytest.fixture
def users_by_role(db: None) -> dict[Role, User]:
    """One user per role at its usual level inside 榆次区."""
    return {role: factories.make_user(role) for role in Role}
