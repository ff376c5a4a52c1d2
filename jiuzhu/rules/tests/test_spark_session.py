"""The local Spark set-up, without starting a JVM: Java detection and the options local mode uses."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jiuzhu.rules import spark
from jiuzhu.rules.errors import RulesError


def _fake_java(home: Path, version_text: str) -> Path:
    """A ``bin/java`` that prints ``version_text`` on stderr, like ``java -version``."""
    binary = home / "bin" / "java"
    binary.parent.mkdir(parents=True)
    binary.write_text(f"#!/bin/sh\necho '{version_text}' >&2\n", encoding="utf-8")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


@pytest.fixture
def no_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr("jiuzhu.rules.spark.glob.glob", lambda pattern: [])


@pytest.mark.usefixtures("no_java")
def test_missing_java_is_a_clear_chinese_error() -> None:
    with pytest.raises(RulesError, match="未找到 Java 17：请安装 openjdk-17-jre-headless"):
        spark.find_java_home()


@pytest.mark.usefixtures("no_java")
def test_java_too_old_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_java(tmp_path / "jdk8", 'openjdk version "1.8.0_392"')
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk8"))
    with pytest.raises(RulesError, match="Java 8"):
        spark.find_java_home()


@pytest.mark.usefixtures("no_java")
def test_java_home_is_found_from_java_on_the_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    binary = _fake_java(tmp_path / "jdk17", 'openjdk version "17.0.15" 2025-04-15')
    monkeypatch.setenv("PATH", str(binary.parent))
    assert spark.find_java_home() == str(tmp_path / "jdk17")


def test_options(tmp_path: Path) -> None:
    options = spark.session_options(str(tmp_path))
    assert options["spark.sql.session.timeZone"] == "UTC"
    assert options["spark.sql.ansi.enabled"] == "true"
    assert options["spark.sql.decimalOperations.allowPrecisionLoss"] == "false"
    assert os.path.isfile(tmp_path / "log4j2.properties")
    local = spark.local_options(cores=2, memory="2g")
    assert local["spark.ui.enabled"] == "false"
    assert local["spark.sql.shuffle.partitions"] == "2"
    assert local["spark.driver.memory"] == "2g"
    assert local["spark.driver.host"] == "127.0.0.1"
