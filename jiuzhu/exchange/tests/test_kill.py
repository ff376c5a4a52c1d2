"""An import killed while writing leaves nothing behind: ``jiuzhu import`` runs in a subprocess against a
database made for the test (a SQLite file; a PostgreSQL database created and dropped here), is sent SIGKILL
once it has started writing, and the registry tables are then empty."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from jiuzhu.exchange import synthetic
from jiuzhu.regions.models import Region, RegionLevel

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

TABLES = (
    "registry_household",
    "registry_person",
    "registry_membership",
    "registry_categoryenrollment",
    "registry_income",
)
WRITING = "正在写入数据库"


def _run(args: list[str], url: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "JIUZHU_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "jiuzhu.settings.base"}
    return subprocess.Popen(
        [sys.executable, "-m", "jiuzhu.cli", *args],
        env=env,
        text=True,  # type: ignore[call-overload]
        cwd=settings.BASE_DIR,
        **kwargs,
    )


def _migrate(url: str) -> None:
    process = _run(["migrate"], url, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err


def _big_csv(tmp_path: Path, persons: int) -> Path:
    villages = list(
        Region.objects.filter(code__startswith="140702", level=RegionLevel.VILLAGE).values_list("code", flat=True)
    )
    path = tmp_path / "big.csv"
    synthetic.write_csv(synthetic.households_table(persons=persons, villages=villages, seed=7), path)
    return path


def _kill_while_writing(url: str, path: Path) -> None:
    """Start the import, wait for it to say it is writing, let it write a moment, then SIGKILL it."""
    process = _run(["import", "households", str(path)], url, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    deadline = time.monotonic() + 240
    seen = []
    for line in process.stderr:
        seen.append(line)
        if WRITING in line or time.monotonic() > deadline:
            break
    assert any(WRITING in line for line in seen), "".join(seen)
    time.sleep(0.5)
    assert process.poll() is None, "the import finished before it could be killed: use a bigger file"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


@pytest.fixture(params=["sqlite", "postgresql"])
def real_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database outside the test's transaction: a SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'real.sqlite3'}"
        _migrate(url)
        yield url
        return
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL variant: runs in the PostgreSQL suite (make test-postgres)")
    import psycopg

    options = settings.DATABASES["default"]
    auth = f"{options['USER']}:{options['PASSWORD']}@" if options["PASSWORD"] else f"{options['USER']}@"
    host = f"{options['HOST'] or '127.0.0.1'}:{options['PORT'] or 5432}"
    server = f"postgresql://{auth}{host}/postgres"
    name = f"jiuzhu_kill_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{auth}{host}/{name}"
    try:
        _migrate(url)
        yield url
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as check:
            return check.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as check:
        return check.execute(sql).fetchall()


def test_a_killed_import_leaves_no_rows(tmp_path: Path, real_database: str) -> None:
    # given a file big enough to be killed while it is being written
    path = _big_csv(tmp_path, 200_000 if real_database.startswith("sqlite") else 400_000)
    # when the import is killed after it started writing
    _kill_while_writing(real_database, path)
    # then no registry row and no audit record exist
    counts = [_query(real_database, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES]  # noqa: S608
    assert counts == [0] * len(TABLES)
    assert _query(real_database, "SELECT count(*) FROM audit_auditevent WHERE tag = 'registry:import'") == [(0,)]
    if real_database.startswith("sqlite"):
        assert _query(real_database, "PRAGMA integrity_check") == [("ok",)]


def test_the_commands_import_reimport_and_export(tmp_path: Path, real_database: str) -> None:
    path = _big_csv(tmp_path, 2_000)
    first = _run(["import", "households", str(path)], real_database, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert "人员：新增 2000 人" in out
    again = _run(["import", "households", str(path)], real_database, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, _ = again.communicate(timeout=300)
    assert "人员：新增 0 人，更新 0 人，未变 2000 人" in out
    exported = tmp_path / "out.parquet"
    export = _run(
        [
            "export",
            "households",
            "--format",
            "parquet",
            "--out",
            str(exported),
            "--region",
            "140702",
            "--reason",
            "测试",
        ],
        real_database,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = export.communicate(timeout=300)
    assert export.returncode == 0, err
    assert "人到" in out
    import pyarrow.parquet as pq

    table = pq.read_table(exported)
    assert table.num_rows == 2000
    assert all("*" in n for n in table.column("身份证号").to_pylist())
    assert _query(real_database, "SELECT count(*) FROM audit_auditevent WHERE tag = 'registry:export'") == [(1,)]
