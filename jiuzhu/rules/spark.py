"""A local Spark session that works from the console entry with nothing set up by hand (DESIGN.md §3).

Local mode by default: loopback driver, this interpreter as the Python workers, warehouse, spill and
scratch folders under a temporary directory removed at exit, the web UI off, as many shuffle
partitions as cores, 3 GiB of driver memory, warnings only in the log. ``JIUZHU_SPARK_MASTER``
names a cluster instead; ``JIUZHU_SPARK_CORES``, ``JIUZHU_SPARK_DRIVER_MEMORY`` and
``JIUZHU_SPARK_JAVA_OPTIONS`` adjust the local one. pyspark is an optional extra
(``pip install jiuzhu[spark]``) and needs Java 17 or newer: ``JAVA_HOME`` is taken from the
environment, else from ``java`` on the PATH, else from /usr/lib/jvm; without one the error says, in
Chinese, to install openjdk-17-jre-headless.

Exactness: the session time zone is UTC, ANSI mode stays on (Spark 4's default: an overflow or a
bad cast is an error, never a silent NULL that would read as "cannot determine"), and decimal
arithmetic keeps every digit (``allowPrecisionLoss`` off), so Spark types ``a × b`` the way DuckDB
does and only the explicit casts of the compiled rules round.
"""

from __future__ import annotations

import atexit
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any

from jiuzhu.rules.errors import RulesError

JAVA_MISSING = (
    "未找到 Java 17：请安装 openjdk-17-jre-headless（Debian/Ubuntu：apt-get install openjdk-17-jre-headless）"
)
MIN_JAVA = 17

# Warnings and errors only, on stderr; the root level is WARN like the shell's default so that Spark
# does not announce a change of level, and the usual start-up warnings are silenced by name.
_LOG4J = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.native.name = org.apache.hadoop.util.NativeCodeLoader
logger.native.level = error
logger.host.name = org.apache.spark.util.Utils
logger.host.level = error
"""


def _java_version(java: str) -> int | None:
    """The major version of a ``java`` executable (None when it does not run)."""
    try:
        out = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_java_home() -> str:
    """A JAVA_HOME with Java ≥ 17: the one set, else ``java`` on the PATH, else /usr/lib/jvm/*."""
    candidates: list[str] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(os.environ["JAVA_HOME"])
    on_path = shutil.which("java")
    if on_path:
        candidates.append(os.path.dirname(os.path.dirname(os.path.realpath(on_path))))
    candidates += sorted(glob.glob("/usr/lib/jvm/*"), reverse=True)
    older = []
    for home in candidates:
        java = os.path.join(home, "bin", "java")
        if not os.access(java, os.X_OK):
            continue
        version = _java_version(java)
        if version is not None and version >= MIN_JAVA:
            return home
        if version is not None:
            older.append(f"{home}（Java {version}）")
    if older:
        raise RulesError(f"{JAVA_MISSING}；找到的 Java 版本过低：{'、'.join(older)}")
    raise RulesError(JAVA_MISSING)


def session_options(scratch: str) -> dict[str, str]:
    """Options every session gets (local or cluster); ``scratch`` holds the warehouse and the log setup."""
    log4j = os.path.join(scratch, "log4j2.properties")
    with open(log4j, "w", encoding="utf-8") as handle:
        handle.write(_LOG4J)
    java_options = f"-Djava.io.tmpdir={scratch} -Dlog4j2.configurationFile=file:{log4j}"
    if os.environ.get("JIUZHU_SPARK_JAVA_OPTIONS"):
        java_options += " " + os.environ["JIUZHU_SPARK_JAVA_OPTIONS"]
    return {
        "spark.driver.extraJavaOptions": java_options,
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.warehouse.dir": os.path.join(scratch, "warehouse"),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "true",
        "spark.sql.decimalOperations.allowPrecisionLoss": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
    }


def local_options(cores: int, memory: str) -> dict[str, str]:
    """Options for local mode: one machine, a few shuffle partitions, no web UI, loopback only."""
    return {
        "spark.ui.enabled": "false",
        "spark.driver.memory": memory,
        "spark.sql.shuffle.partitions": str(max(2, cores)),
        "spark.default.parallelism": str(max(2, cores)),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
    }


def spark_session(*, cores: int | None = None, app_name: str = "jiuzhu") -> Any:
    """The process's SparkSession (created once; later calls return the same one)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RulesError("未安装 Spark 组件：请运行 pip install 'jiuzhu[spark]'（需要 Java 17）") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    os.environ["JAVA_HOME"] = find_java_home()
    cores = cores or int(os.environ.get("JIUZHU_SPARK_CORES", "0")) or min(os.cpu_count() or 2, 8)
    scratch = tempfile.mkdtemp(prefix="jiuzhu-spark-")
    atexit.register(shutil.rmtree, scratch, True)
    master = os.environ.get("JIUZHU_SPARK_MASTER", f"local[{cores}]")
    local = master.startswith("local")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("SPARK_LOCAL_DIRS", os.path.join(scratch, "local"))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    memory = os.environ.get("JIUZHU_SPARK_DRIVER_MEMORY", "3g")
    options = session_options(scratch) | (local_options(cores, memory) if local else {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in options.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    atexit.register(session.stop)  # registered after rmtree, so it runs first
    return session


def spark_backend(**kwargs: Any) -> Any:
    """An Ibis backend over the process's SparkSession."""
    import ibis

    return ibis.pyspark.connect(spark_session(**kwargs))
