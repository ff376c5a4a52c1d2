"""Runs of the generator: determinism, appending, refusals, synthetic villages, all-or-nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.db import IntegrityError, connection, transaction

from jiuzhu import cli
from jiuzhu.audit.models import AuditEvent
from jiuzhu.core import id_numbers
from jiuzhu.core.errors import DomainError
from jiuzhu.demo import commands, existing, geography
from jiuzhu.demo.commands import demo_generate
from jiuzhu.regions.models import Region, RegionLevel
from jiuzhu.registry import tally
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 23)


def registry_digest() -> str:
    """A digest of every registry row by content (primary keys and timestamps left out)."""
    digest = hashlib.sha256()
    queries = [
        Household.objects.order_by("household_number").values_list(
            "household_number",
            "region_id",
            "address",
            "urban_rural",
            "status",
            "financial_assets",
            "house_count",
            "vehicle_count",
        ),
        Person.objects.order_by("id_number").values_list(
            "id_number",
            "name",
            "sex",
            "birth_date",
            "region_id",
            "hukou_type",
            "hukou_region_code",
            "disability_type",
            "disability_grade",
            "self_care",
            "labour_capacity",
            "health",
            "student",
            "care_setting",
            "special_status",
            "status",
            "deceased_on",
        ),
        Membership.objects.order_by("person__id_number").values_list(
            "person__id_number", "household__household_number", "relation", "in_household", "valid_from", "valid_to"
        ),
        CategoryEnrollment.objects.order_by(
            "household__household_number", "category", "valid_from", "person__id_number"
        ).values_list(
            "household__household_number",
            "person__id_number",
            "category",
            "valid_from",
            "valid_to",
            "amount_month",
            "decision_number",
            "note",
            "end_reason",
        ),
        Income.objects.order_by("household__household_number", "type", "person__id_number", "amount").values_list(
            "household__household_number", "person__id_number", "type", "amount", "period", "valid_from", "valid_to"
        ),
    ]
    for query in queries:
        for row in query:
            digest.update(repr(row).encode())
    return digest.hexdigest()


def registry_clear() -> None:
    for model in (Income, CategoryEnrollment, Membership, Person, Household):
        model.objects.all().delete()


def test_same_seed_gives_identical_rows_and_another_seed_does_not() -> None:
    # given a county generated with seed 11 into an empty registry
    demo_generate(households=250, region_code="140702", seed=11, as_of=AS_OF)
    first = registry_digest()
    # when the registry is emptied and the same seed runs again
    registry_clear()
    demo_generate(households=250, region_code="140702", seed=11, as_of=AS_OF)
    # then every row is the same
    assert registry_digest() == first
    registry_clear()
    demo_generate(households=250, region_code="140702", seed=12, as_of=AS_OF)
    assert registry_digest() != first


@pytest.mark.parametrize("range_lookups_up_to", [existing.RANGE_LOOKUPS_UP_TO, 0], ids=["index ranges", "scan"])
def test_generating_again_appends_with_new_numbers_and_id_numbers(
    monkeypatch: pytest.MonkeyPatch, range_lookups_up_to: int
) -> None:
    # existing ID sequences are looked up by index range for small batches, by one scan for large ones
    monkeypatch.setattr(existing, "RANGE_LOOKUPS_UP_TO", range_lookups_up_to)
    # given a first run
    first = demo_generate(households=200, region_code="140702", seed=5, as_of=AS_OF)
    first_ids = set(Person.objects.values_list("id_number", flat=True))
    # when the same seed runs again
    second = demo_generate(households=200, region_code="140702", seed=5, as_of=AS_OF)
    # then the households are added, nothing is duplicated
    assert Household.objects.count() == 400
    assert Household.objects.values("household_number").distinct().count() == 400
    assert Person.objects.count() == first.persons + second.persons
    assert Person.objects.values("id_number").distinct().count() == Person.objects.count()
    new_ids = set(Person.objects.values_list("id_number", flat=True)) - first_ids
    assert len(new_ids) == second.persons
    for number in list(new_ids)[:200]:
        id_numbers.parse(number)
    assert second.first_household_number not in {first.first_household_number, first.last_household_number}
    assert AuditEvent.objects.filter(tag="demo:generate").count() == 2


@pytest.mark.parametrize(
    ("code", "message"),
    [
        pytest.param("999999", "区划表中没有代码“999999”", id="不存在的代码"),
        pytest.param("140700", "是市级区划，不是县级", id="市级代码"),
        pytest.param("140702001000", "是乡镇(街道)级区划", id="乡镇代码"),
        pytest.param("1407", "应为6位或12位数字", id="位数不对"),
        pytest.param("", "应为6位或12位数字", id="空代码"),
    ],
)
def test_refuses_a_code_that_is_not_a_county(code: str, message: str) -> None:
    with pytest.raises(DomainError) as refused:
        demo_generate(households=10, region_code=code, seed=1, as_of=AS_OF)
    assert message in refused.value.message
    assert not Household.objects.exists()


@pytest.mark.parametrize("households", [0, -5, commands.MAX_HOUSEHOLDS + 1])
def test_refuses_a_household_count_out_of_range(households: int) -> None:
    with pytest.raises(DomainError, match="户数应为1到"):
        demo_generate(households=households, region_code="140702", seed=1, as_of=AS_OF)


def test_a_county_without_fixture_villages_gets_synthetic_ones_that_cannot_clash() -> None:
    # given 太谷区, whose townships have no villages in the fixture
    assert not Region.objects.filter(code__startswith="140703", level=RegionLevel.VILLAGE).exists()
    # when generating there
    summary = demo_generate(households=300, region_code="140703000000", seed=3, as_of=AS_OF)
    # then households live in synthetic villages numbered 901–999 under real townships
    villages = Region.objects.filter(code__startswith="140703", level=RegionLevel.VILLAGE)
    assert villages.exists()
    assert not villages.filter(is_synthetic=False).exists()
    for village in villages:
        assert 901 <= int(village.code[9:]) <= 999
        assert village.parent is not None
        assert village.parent.level == RegionLevel.TOWNSHIP
        assert not village.parent.is_synthetic
        assert re.fullmatch(r"[\u4e00-\u9fff]{1,6}(村委会|社区居民委员会)", village.name), village.name
    assert summary.townships_with_households >= 3
    assert set(Household.objects.values_list("region__is_synthetic", flat=True)) == {True}
    # and a second run reuses the same villages
    before = set(villages.values_list("code", "name"))
    demo_generate(households=300, region_code="140703", seed=4, as_of=AS_OF)
    assert (
        set(Region.objects.filter(code__startswith="140703", level=RegionLevel.VILLAGE).values_list("code", "name"))
        == before
    )


def test_a_tiny_county_still_puts_households_in_its_first_township() -> None:
    demo_generate(households=3, region_code="610203", seed=2, as_of=AS_OF)
    first = Region.objects.filter(parent_id="610203000000", level=RegionLevel.TOWNSHIP).order_by("code").first()
    assert first is not None
    assert Household.objects.filter(region__parent=first).exists()


def test_nothing_is_written_when_the_run_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a failure at the very end of a run (the audit record)
    def fail(**kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(commands, "audit_record", fail)
    # when generating into a county that needs synthetic villages
    with pytest.raises(RuntimeError):
        demo_generate(households=120, region_code="140721", seed=1, as_of=AS_OF)
    # then neither households nor villages remain
    assert not Household.objects.exists()
    assert not Person.objects.exists()
    assert not Region.objects.filter(is_synthetic=True).exists()


def registry_schema() -> list[tuple[str, str]]:
    """Index and constraint definitions of the registry tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid::regclass::text LIKE %s "
                "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid::regclass::text LIKE %s",
                ["registry_%", "registry_%"],
            )
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name LIKE %s", ["registry_%"])
        return sorted(cursor.fetchall())


def test_a_large_load_leaves_indexes_and_constraints_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    # given loads of any size take the rebuild path (PostgreSQL drops and re-creates indexes and foreign keys)
    monkeypatch.setattr(commands, "REBUILD_INDEXES_FROM", 1)
    before = registry_schema()
    assert len(before) > 20
    # when generating into an empty registry
    demo_generate(households=150, region_code="140702", seed=8, as_of=AS_OF)
    # then the schema is exactly as before and its constraints still hold
    assert registry_schema() == before
    person = Person.objects.filter(status="active").first()
    assert person is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(
            id_number=person.id_number, name="重复", sex=person.sex, birth_date=person.birth_date, region=person.region
        )


def test_a_failed_large_load_leaves_indexes_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(**kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(commands, "REBUILD_INDEXES_FROM", 1)
    monkeypatch.setattr(commands, "audit_record", fail)
    before = registry_schema()
    with pytest.raises(RuntimeError):
        demo_generate(households=150, region_code="140702", seed=8, as_of=AS_OF)
    assert registry_schema() == before
    assert not Household.objects.exists()


def test_progress_shows_a_summary_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    demo_generate(households=50, region_code="140702", seed=1, as_of=AS_OF, progress=True)
    captured = capsys.readouterr()
    assert "已生成演示数据" in captured.err
    assert "50户" in captured.err
    assert captured.out == ""  # standard output stays free for data


def test_command_line_refuses_a_bad_region_with_exit_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["demo", "--region", "999999", "--households", "10", "--no-serve"])
    assert status == cli.EXIT_BAD_INPUT
    assert "区划表中没有代码" in capsys.readouterr().err
    assert not Household.objects.exists()


@pytest.mark.parametrize(
    ("official", "short"),
    [
        pytest.param("桥西社区居民委员会", "桥西社区", id="社区居民委员会"),
        pytest.param("下庄村委会", "下庄村", id="村委会"),
        pytest.param("寇村村委会", "寇村", id="村名本身以村结尾"),
        pytest.param("城区", "城区", id="其他名称不变"),
    ],
)
def test_addresses_use_the_short_name_of_a_village(official: str, short: str) -> None:
    assert geography.short_name(official) == short


def test_the_generator_re_derives_the_village_tally() -> None:
    demo_generate(households=250, region_code="140702", seed=11, as_of=AS_OF)
    day = tally.as_of()
    assert day is not None
    assert tally.stored_counts() == tally.direct_counts(on=day)
    assert sum(n for (_, status, category), n in tally.stored_counts().items() if not category) == 250
    demo_generate(households=40, region_code="140702", seed=12, as_of=AS_OF)  # appended
    assert tally.stored_counts() == tally.direct_counts(on=day)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index rebuild is PostgreSQL's (registry.bulk)")
def test_a_large_generation_restores_every_index_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = (
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname LIKE 'registry_%%' UNION ALL "
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid::regclass::text LIKE 'registry_%%' ORDER BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(catalog)
        before = cursor.fetchall()
    monkeypatch.setattr(commands, "REBUILD_INDEXES_FROM", 1)  # the path of a million persons into an empty registry
    demo_generate(households=60, region_code="140702", seed=5, as_of=AS_OF)
    with connection.cursor() as cursor:
        cursor.execute(catalog)
        assert cursor.fetchall() == before
    assert tally.stored_counts() == tally.direct_counts(on=tally.as_of() or AS_OF)
