"""``jiuzhu manage registry_tally [--check | --rebuild]``: the village tally behind list totals and home figures.

Without an option it rolls the tally forward to today, as the first page read of a day otherwise does (a
scheduler may run it just after midnight).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from jiuzhu.registry import tally


class Command(BaseCommand):
    help = "分村户数统计：不带参数时更新到今天；--check 与直接计数核对；--rebuild 全部重新统计"

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--check", action="store_true", help="与直接计数核对，不一致时列出并以状态1退出")
        action.add_argument("--rebuild", action="store_true", help="按今天全部重新统计")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            with transaction.atomic():
                day = tally.rebuild()
            self.stdout.write(f"已按{day:%Y-%m-%d}重新统计分村户数。")
            return
        if not options["check"]:
            day = tally.roll_forward(timezone.localdate())
            self.stdout.write(f"分村户数已更新到{day:%Y-%m-%d}。")
            return
        with transaction.atomic():
            day = tally.lock_for_bulk_load()  # a consistent reading: no change commits meanwhile
            stored = tally.stored_counts()
            direct = tally.direct_counts(on=day)
        differing = sorted(key for key in stored.keys() | direct.keys() if stored.get(key, 0) != direct.get(key, 0))
        for region, status, category in differing:
            self.stdout.write(
                f"{region} {status} {category or '全部'}：统计 {stored.get((region, status, category), 0)}，"
                f"实际 {direct.get((region, status, category), 0)}"
            )
        if differing:
            raise CommandError(
                f"分村户数（{day:%Y-%m-%d}）有{len(differing)}项与直接计数不一致，可用 --rebuild 重新统计。"
            )
        self.stdout.write(f"分村户数（{day:%Y-%m-%d}）与直接计数一致，共{len(stored)}项。")
