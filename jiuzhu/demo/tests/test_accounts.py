"""Demo accounts: one per role, placed where there is something to see, never in production."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.test import override_settings

from jiuzhu.accounts.models import Department, Role, User
from jiuzhu.core.errors import DomainError
from jiuzhu.demo.commands import demo_accounts_ensure, demo_generate
from jiuzhu.regions.models import Region, RegionLevel
from jiuzhu.registry.models import Household
from jiuzhu.settings import base

pytestmark = pytest.mark.django_db

PASSWORD = "yanshi-mima-2026"
EXPECTED = {
    "demo_county": (Role.COUNTY_MANAGER, RegionLevel.COUNTY),
    "demo_supervisor": (Role.SUPERVISOR, RegionLevel.COUNTY),
    "demo_admin": (Role.SYSTEM_ADMIN, RegionLevel.COUNTY),
    "demo_township": (Role.TOWNSHIP_OFFICER, RegionLevel.TOWNSHIP),
    "demo_reviewer": (Role.TOWNSHIP_REVIEWER, RegionLevel.TOWNSHIP),
    "demo_village": (Role.VILLAGE_INFO_WORKER, RegionLevel.VILLAGE),
    "demo_department_medical": (Role.DEPARTMENT_USER, RegionLevel.COUNTY),
}


def region_of(username: str) -> Region:
    region = User.objects.get(username=username).region
    assert region is not None
    return region


@pytest.fixture
def county() -> None:
    demo_generate(households=300, region_code="140702", seed=9, as_of=dt.date(2026, 11, 23))


def test_one_account_per_role_in_the_county_and_its_first_township(county: None) -> None:
    accounts = demo_accounts_ensure(region_code="140702", password=PASSWORD)
    assert [username for username, _ in accounts] == list(EXPECTED)
    assert dict(accounts)["demo_township"] == "乡镇经办（北关街道）"
    assert dict(accounts)["demo_department_medical"] == "部门用户·医保（榆次区）"
    for username, (role, level) in EXPECTED.items():
        user = User.objects.get(username=username)
        assert (user.role, region_of(username).level, user.is_active) == (role, level, True)
        assert region_of(username).code.startswith("140702")
    township = region_of("demo_township")
    assert township.code == "140702001000"  # 北关街道, the county's first township by code
    assert region_of("demo_reviewer") == township
    assert region_of("demo_village").parent == township
    assert User.objects.get(username="demo_department_medical").department == Department.MEDICAL_INSURANCE


def test_each_demo_user_sees_households_and_the_township_users_do_not_see_everything(county: None) -> None:
    demo_accounts_ensure(region_code="140702", password=PASSWORD)
    total = Household.objects.count()
    visible = {
        u.username: Household.objects.visible_to(u).count() for u in User.objects.filter(username__startswith="demo_")
    }
    assert visible["demo_county"] == total
    assert 0 < visible["demo_village"] <= visible["demo_township"] < total


def test_running_again_resets_the_password_without_new_accounts(county: None) -> None:
    demo_accounts_ensure(region_code="140702", password=PASSWORD)
    demo_accounts_ensure(region_code="140702", password="another-demo-password")
    assert User.objects.filter(username__startswith="demo_").count() == len(EXPECTED)
    user = User.objects.get(username="demo_county")
    assert user.check_password("another-demo-password")
    assert not user.check_password(PASSWORD)


def test_passwords_are_hashed_with_argon2(county: None) -> None:
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        demo_accounts_ensure(region_code="140702", password=PASSWORD)
    assert all(
        password.startswith("argon2$")
        for password in User.objects.filter(username__startswith="demo_").values_list("password", flat=True)
    )


@override_settings(JIUZHU_ALLOW_DEMO_ACCOUNTS=False)
def test_production_settings_refuse_demo_accounts(county: None) -> None:
    with pytest.raises(DomainError, match="生产环境不能创建演示账户"):
        demo_accounts_ensure(region_code="140702", password=PASSWORD)
    assert not User.objects.filter(username__startswith="demo_").exists()


def test_production_settings_module_forbids_demo_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIUZHU_SECRET_KEY", "s" * 60)
    production = importlib.import_module("jiuzhu.settings.production")
    assert production.JIUZHU_ALLOW_DEMO_ACCOUNTS is False


def test_accounts_work_before_any_household_exists() -> None:
    accounts = demo_accounts_ensure(region_code="610203", password=PASSWORD)
    village = region_of("demo_village")
    assert village.level == RegionLevel.VILLAGE
    assert village.parent_id == "610203001000"
    assert len(accounts) == len(EXPECTED)
