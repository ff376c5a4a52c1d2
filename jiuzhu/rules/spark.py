"""A local Spark session that works from the console entry with nothing set up by hand (DESIGN.md §3).

Local mode by default (loopback driver, this interpreter as the Python workers, warehouse and
scratch folders under a temporary directory); ``JIUZHU_SPARK_MASTER`` names a cluster instead.
pyspark is an optional extra (``pip install jiuzhu[spark]``) and needs Java 17.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Any

from jiuzhu.rules.errors import RulesError


def spark_session(*, cores: int = 2, app_name: str = "jiuzhu") -> Any:
    """The process's SparkSession (created once; later calls return the same one)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RulesError("未安装 Spark 组件：请运行 pip install 'jiuzhu[spark]'（需要 Java 17）") from None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RulesError(
            "未找到 Java 17：请安装 openjdk-17-jre-headless（Debian：apt-get install openjdk-17-jre-headless）"
        )
    master = os.environ.get("JIUZHU_SPARK_MASTER", f"local[{cores}]")
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    scratch = tempfile.mkdtemp(prefix="jiuzhu-spark-")
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, cores)))
        .config("spark.default.parallelism", str(max(2, cores)))
        .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
        .config("spark.local.dir", os.path.join(scratch, "local"))
        .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={scratch}")
        .config("spark.sql.session.timeZone", "Asia/Shanghai")
        .config("spark.driver.memory", os.environ.get("JIUZHU_SPARK_DRIVER_MEMORY", "2g"))
    )
    if master.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_backend(**kwargs: Any) -> Any:
    """An Ibis backend over the process's SparkSession."""
    import ibis

    return ibis.pyspark.connect(spark_session(**kwargs))
