"""The village tally (``registry.tally``) always equals direct counts: after each service, on a new day, for
every list filter and the home figures; pages read it instead of counting the registry."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiuzhu.accounts.models import Role, User
from jiuzhu.core.errors import DomainError
from jiuzhu.core.testing import factories
from jiuzhu.registry import selectors, services, tally
from jiuzhu.registry.models import CategoryEnrollment, Household, Membership, TallyDate, VillageTally
from jiuzhu.registry.selectors import HouseholdFilter

pytestmark = pytest.mark.django_db

A1, A2, B1 = factories.VILLAGE_A1, factories.VILLAGE_A2, factories.VILLAGE_B1


def today() -> dt.date:
    return timezone.localdate()


def assert_exact() -> None:
    day = tally.as_of()
    assert day is not None
    assert tally.stored_counts() == tally.direct_counts(on=day)


def household(actor: User, village: str = A1) -> Household:
    return services.household_create(
        actor=actor,
        region=factories.region(village),
        head={"name": "赵建国", "id_number": factories.id_number(birth=dt.date(1958, 2, 3))},
        urban_rural="rural",
        valid_from=dt.date(2024, 1, 1),
    )


def enrol(actor: User, target: Household, category: str, valid_from: dt.date, **extra: Any) -> CategoryEnrollment:
    return services.enrollment_start(actor=actor, household=target, category=category, valid_from=valid_from, **extra)


def head_of(target: Household) -> Any:
    return Membership.objects.get(household=target, relation="head", valid_to__isnull=True).person


def test_services_keep_the_tally_equal_to_direct_counts(county_manager: User) -> None:
    day = today()
    a, b = household(county_manager), household(county_manager, B1)
    assert_exact()
    assert tally.stored_counts()[(A1, "active", tally.ALL)] == 1
    # a household enrolled whole and one member enrolled individually count once per category
    dibao = enrol(county_manager, a, "dibao", dt.date(2024, 1, 1))
    watch = enrol(county_manager, a, "relapse_watch", dt.date(2024, 2, 1), person=head_of(a))
    enrol(county_manager, a, "tekun", dt.date(2024, 3, 1), person=head_of(a))
    assert_exact()
    assert tally.stored_counts()[(A1, "active", "dibao")] == 1
    # a start after today is not counted yet; an end after today still counts today
    enrol(county_manager, b, "marginal", day + dt.timedelta(days=10))
    services.enrollment_end(actor=county_manager, enrollment=dibao, on=day + dt.timedelta(days=5), reason="收入超标")
    assert_exact()
    assert (B1, "active", "marginal") not in tally.stored_counts()
    assert tally.stored_counts()[(A1, "active", "dibao")] == 1
    # an end before today removes the category
    services.enrollment_end(actor=county_manager, enrollment=watch, on=dt.date(2024, 6, 30), reason="风险消除")
    assert_exact()
    assert (A1, "active", "relapse_watch") not in tally.stored_counts()
    # a closed household moves to the closed rows with its categories, and back
    services.household_update(actor=county_manager, household=a, changes={"status": "closed"})
    assert_exact()
    assert tally.stored_counts()[(A1, "closed", "tekun")] == 1
    services.household_update(actor=county_manager, household=a, changes={"status": "active", "address": "新址"})
    assert_exact()
    # members coming and going change no household count
    services.membership_end(
        actor=county_manager, membership=Membership.objects.get(household=b), on=day, status="moved_out", reason="迁出"
    )
    assert_exact()
    # a refused change changes nothing
    with pytest.raises(DomainError):
        enrol(county_manager, a, "tekun", dt.date(2024, 5, 1), person=head_of(a))
    assert_exact()


@pytest.fixture
def registry(county_manager: User) -> dict[str, Household]:
    """Households in three villages of two townships, with categories whole and individual, one closed."""
    made = {
        "a1_dibao": household(county_manager, A1),
        "a1_plain": household(county_manager, A1),
        "a2_tekun": household(county_manager, A2),
        "b1_dibao": household(county_manager, B1),
        "a1_closed": household(county_manager, A1),
    }
    enrol(county_manager, made["a1_dibao"], "dibao", dt.date(2024, 1, 1))
    enrol(county_manager, made["a1_dibao"], "relapse_watch", dt.date(2024, 1, 1), person=head_of(made["a1_dibao"]))
    enrol(county_manager, made["a2_tekun"], "tekun", dt.date(2023, 5, 1), person=head_of(made["a2_tekun"]))
    enrol(county_manager, made["b1_dibao"], "dibao", dt.date(2022, 1, 1))
    enrol(county_manager, made["a1_closed"], "dibao", dt.date(2022, 1, 1))
    services.household_update(actor=county_manager, household=made["a1_closed"], changes={"status": "closed"})
    return made


FILTERS = [
    HouseholdFilter(),
    HouseholdFilter(region_code="140702001"),
    HouseholdFilter(region_code=A1),
    HouseholdFilter(region_code="140702002"),
    HouseholdFilter(region_code="140703"),  # outside the county
    HouseholdFilter(category="dibao"),
    HouseholdFilter(category="tekun", region_code="140702001"),
    HouseholdFilter(status="closed"),
    HouseholdFilter(status="active", category="dibao"),
    HouseholdFilter(category="marginal"),
]


@pytest.mark.usefixtures("registry")
@pytest.mark.parametrize("role", [Role.COUNTY_MANAGER, Role.TOWNSHIP_OFFICER, Role.VILLAGE_INFO_WORKER])
def test_list_totals_and_home_figures_equal_direct_counts(role: Role) -> None:
    user = factories.make_user(role)
    day = today()
    for filters in FILTERS:
        total = selectors.household_list_total(user=user, filters=filters, on=day)
        assert total == selectors.household_list_for(user=user, filters=filters, on=day).count(), filters
    figures = selectors.household_counts_by_category(user=user, on=day)
    direct = {
        category: Household.objects.visible_to(user)
        .filter(enrollments__in=CategoryEnrollment.objects.active_on(day).filter(category=category))
        .distinct()
        .count()
        for category in ("dibao", "tekun", "marginal", "relapse_watch")
    }
    assert {c: figures[c] for c in direct} == direct
    assert figures["households"] == Household.objects.visible_to(user).filter(status="active").count()


def test_a_search_and_another_day_are_counted_directly(county_manager: User, registry: dict[str, Household]) -> None:
    day = today()
    assert selectors.household_list_total(user=county_manager, filters=HouseholdFilter(query="赵"), on=day) is None
    assert tally.household_total(prefix="", on=day - dt.timedelta(days=400)) is None
    assert tally.household_total(prefix="", on=day + dt.timedelta(days=1)) is None
    past = dt.date(2022, 6, 1)  # only the two households enrolled in 2022 had 低保 then
    assert selectors.household_counts_by_category(user=county_manager, on=past)["dibao"] == 2


def test_pages_read_the_tally_instead_of_counting_households(
    client: Client, county_manager: User, registry: dict[str, Household]
) -> None:
    client.force_login(county_manager)
    for path in ("/", "/registry/households/", "/registry/households/?category=dibao&page=1"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200
        counting = [
            q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper() and "registry_" in q["sql"]
        ]
        assert counting == [], counting
    html = client.get("/registry/households/?category=dibao").content.decode()
    assert "共 <strong>3</strong> 户符合条件" in html  # two active, one closed
    home = client.get("/").content.decode()
    assert "在册家庭" in home


def test_the_tally_rolls_over_to_a_new_day(county_manager: User) -> None:
    day = today()
    earlier = day - dt.timedelta(days=3)
    with transaction.atomic():
        tally.rebuild(on=earlier)
    starts, ends, stays, later = (household(county_manager) for _ in range(4))
    enrol(county_manager, starts, "dibao", day - dt.timedelta(days=1))  # not yet in force on the tally's day
    ending = enrol(county_manager, ends, "marginal", dt.date(2024, 1, 1))
    services.enrollment_end(actor=county_manager, enrollment=ending, on=day - dt.timedelta(days=2), reason="退出")
    enrol(county_manager, stays, "tekun", dt.date(2024, 1, 1), person=head_of(stays))
    enrol(county_manager, later, "dibao", day + dt.timedelta(days=1))
    assert tally.as_of() == earlier
    assert_exact()
    assert tally.stored_counts()[(A1, "active", "marginal")] == 1
    # the first reader of today rolls the tally forward
    assert tally.household_total(prefix="", on=day, category="dibao") == 1
    assert tally.as_of() == day
    assert_exact()
    assert (A1, "active", "marginal") not in tally.stored_counts()


def test_a_long_roll_over_rebuilds_everything(county_manager: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tally, "ROLL_REBUILD_FROM", 0)
    day = today()
    with transaction.atomic():
        tally.rebuild(on=day - dt.timedelta(days=30))
    enrol(county_manager, household(county_manager), "dibao", day - dt.timedelta(days=10))
    figures = tally.household_figures(prefix="", on=day)
    expected = {str(category): 0 for category in tally.Category} | {"dibao": 1, "households": 1}
    assert figures == expected
    assert tally.as_of() == day
    assert_exact()


def test_a_missing_tally_is_built_on_first_use(county_manager: User) -> None:
    a = household(county_manager)
    TallyDate.objects.all().delete()  # as after a flush of the database, or before the first migration's data
    VillageTally.objects.all().delete()
    assert tally.household_total(prefix="", on=today()) == 1
    enrol(county_manager, a, "dibao", dt.date(2024, 1, 1))
    assert_exact()
    TallyDate.objects.all().delete()
    VillageTally.objects.all().delete()
    enrol(county_manager, a, "relapse_watch", dt.date(2024, 1, 1))
    assert_exact()


def test_a_partial_rebuild_keeps_the_day(county_manager: User) -> None:
    day = today() - dt.timedelta(days=2)
    with transaction.atomic():
        tally.rebuild(on=day)
    a = household(county_manager)
    Household.objects.filter(pk=a.pk).update(region=factories.region(B1))  # a direct write the tally misses
    assert tally.stored_counts() != tally.direct_counts(on=day)
    with transaction.atomic():
        assert tally.rebuild(villages=[A1, B1]) == day
    assert tally.as_of() == day
    assert_exact()


def test_the_check_command_finds_and_the_rebuild_command_repairs(county_manager: User) -> None:
    household(county_manager)
    with transaction.atomic():
        tally.rebuild(on=today() - dt.timedelta(days=1))
    call_command("registry_tally")  # rolls forward to today
    assert tally.as_of() == today()
    call_command("registry_tally", "--check")
    VillageTally.objects.filter(region_code=A1).update(households=7)
    with pytest.raises(CommandError, match="不一致"):
        call_command("registry_tally", "--check")
    call_command("registry_tally", "--rebuild")
    call_command("registry_tally", "--check")
    assert_exact()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL row locks (SQLite serialises writers)")
def test_concurrent_changes_of_one_household_stay_exact() -> None:
    """Two case workers change the same household's categories at once: the household's row lock, taken before
    its categories are read, orders them, so neither adds from a stale reading."""
    manager = factories.make_user(Role.COUNTY_MANAGER)
    target = household(manager)
    head = head_of(target)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def change(category: str, person: Any) -> None:
        try:
            start.wait()
            for offset in range(5):
                enrollment = enrol(manager, target, category, dt.date(2020 + offset, 1, 1), person=person)
                services.enrollment_end(
                    actor=manager, enrollment=enrollment, on=dt.date(2020 + offset, 6, 30), reason="测试"
                )
            enrol(manager, target, category, dt.date(2026, 1, 1), person=person)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=change, args=("relapse_watch", head)),
        threading.Thread(target=change, args=("dibao", None)),
    ]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert_exact()
    counts = tally.stored_counts()
    assert (counts[(A1, "active", "dibao")], counts[(A1, "active", "relapse_watch")]) == (1, 1)
