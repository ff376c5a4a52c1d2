"""Generate fictitious import files quickly (NumPy), for the import tests and ``bench/bench_import.py``.

Every ID number is valid and unique within a file, built from a running index; names are drawn
from short lists; nobody in these files exists. ``jiuzhu.demo`` builds the realistic county; this
only needs to be big, valid and fast.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from jiuzhu.exchange.columns import BY_KEY

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎")
GIVEN = list("伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍红建文辉力国春林海")
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK = np.array(list("10X98765432"))
FIRST_BIRTH = dt.date(1935, 1, 1)
BIRTH_DAYS = 30000  # births spread over ~82 years


def household_sizes(persons: int, rng: np.random.Generator) -> np.ndarray:
    sizes = rng.choice([1, 2, 3, 4, 5], size=persons // 2 + 1, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    cumulative = np.cumsum(sizes)
    count = int(np.searchsorted(cumulative, persons)) + 1
    sizes = sizes[:count].copy()
    sizes[-1] -= int(cumulative[count - 1] - persons)
    return sizes


def id_numbers(indices: np.ndarray, *, county: str, male: np.ndarray) -> np.ndarray:
    """Unique valid numbers: index → (birth day, sequence); the 17th digit's parity gives the sex."""
    day = indices % BIRTH_DAYS
    sequence = 2 * (indices // BIRTH_DAYS) + male.astype(np.int64)
    if sequence.max(initial=0) > 999:
        raise ValueError("too many persons for one county code")
    births = np.datetime64(FIRST_BIRTH) + day.astype("timedelta64[D]")
    stamp = np.char.replace(np.datetime_as_string(births, unit="D").astype("U10"), "-", "")
    first17 = np.char.add(np.char.add(county, stamp), np.char.zfill(sequence.astype("U3"), 3))
    digits = first17.view(np.uint32).reshape(-1, 17).astype(np.int64) - 48
    return np.char.add(first17, CHECK[(digits @ ID_WEIGHTS) % 11])


def households_table(
    *,
    persons: int,
    villages: list[str],
    seed: int = 1,
    county: str = "140721",
    number_offset: int = 1,
    with_categories: bool = True,
) -> pa.Table:
    """``persons`` rows of the import template (Chinese headers, text values), households of 1–5."""
    rng = np.random.default_rng(seed)
    sizes = household_sizes(persons, rng)
    count = len(sizes)
    village_index = np.sort(rng.integers(0, len(villages), count))
    village = np.asarray(villages)[village_index]
    # 户编号: village code + a 5-digit sequence within the village
    starts = np.searchsorted(village_index, village_index, side="left")
    within = np.arange(count) - starts + number_offset
    if within.max(initial=0) > 99999:
        raise ValueError("too many households for the villages given")
    household_number = np.char.add(village, np.char.zfill(within.astype("U5"), 5))
    sequence = np.arange(1, count + 1)
    household = np.repeat(np.arange(count), sizes)
    position = np.arange(persons) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    male = np.where(position == 0, rng.random(persons) < 0.6, rng.random(persons) < 0.5)
    relation = np.where(position == 0, "户主", np.where(position == 1, "配偶", np.where(male, "子", "女")))
    male = np.where(position == 1, ~male[np.maximum(np.arange(persons) - 1, 0)], male)
    numbers = id_numbers(np.arange(persons, dtype=np.int64), county=county, male=male)
    names = np.char.add(
        np.asarray(SURNAMES)[rng.integers(0, len(SURNAMES), persons)],
        np.char.add(
            np.asarray(GIVEN)[rng.integers(0, len(GIVEN), persons)],
            np.asarray(GIVEN)[rng.integers(0, len(GIVEN), persons)],
        ),
    )
    urban = rng.random(count) < 0.35
    wage = np.where(rng.random(persons) < 0.4, (rng.integers(0, 3000, persons)).astype("U6"), "")
    pension = np.where(rng.random(persons) < 0.2, rng.integers(100, 2000, persons).astype("U6"), "")
    disabled = rng.random(persons) < 0.06
    table = {
        "household_number": household_number[household],
        "region_code": village[household],
        "urban_rural": np.where(urban, "城市", "农村")[household],
        "address": np.char.add(np.char.add("幸福路", sequence.astype("U7")), "号")[household],
        "phone": np.where(
            position == 0, np.char.add("139", np.char.zfill((sequence % 10**8).astype("U8"), 8))[household], ""
        ),
        "name": names,
        "id_number": numbers,
        "relation": relation,
        "hukou_type": np.where(urban, "城镇", "农村")[household],
        "disability_type": np.where(disabled, "肢体", ""),
        "disability_grade": np.where(disabled, "二级", ""),
        "labour_capacity": np.where(disabled, "无劳动能力", "有劳动能力"),
        "health": np.where(rng.random(persons) < 0.15, "慢性病", "健康"),
        "special_status": np.full(persons, "无"),
        "income_wage": wage,
        "income_pension": pension,
    }
    if with_categories:
        category = rng.choice(
            ["低保", "低保边缘", "刚性支出困难", "其他困难人员"], size=count, p=[0.55, 0.2, 0.1, 0.15]
        )
        table["category"] = np.where(position == 0, category[household], "")
        table["category_from"] = np.where(position == 0, "2024-01-01", "")
        table["category_amount"] = np.where(
            (position == 0) & (category[household] == "低保"),
            (rng.integers(300, 2000, count)).astype("U6")[household],
            "",
        )
    return pa.table({BY_KEY[k].header: pa.array(v.tolist(), type=pa.string()) for k, v in table.items()})


def write_csv(table: pa.Table, path: Path) -> None:
    with path.open("wb") as sink:
        sink.write(b"\xef\xbb\xbf")
        pacsv.write_csv(table, sink)


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def write_xlsx(table: pa.Table, path: Path, *, sheet: str = "家庭成员") -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    for values in zip(*columns, strict=True):
        worksheet.append([v or None for v in values])
    workbook.save(path)
