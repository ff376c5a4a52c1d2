"""``jiuzhu import households FILE`` and ``jiuzhu export households …``: the command line acts as the
operator (``accounts.services.system_user()``, audited as 命令行) and exits 2 on bad input."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from jiuzhu.core.errors import DomainError
from jiuzhu.exchange.problems import SHOW_LIMIT, ImportRejected

EXIT_OK = 0
EXIT_BAD_INPUT = 2
CHANNEL = "命令行"


def _progress(started: float) -> object:
    def say(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} 秒] {message}", file=sys.stderr, flush=True)

    return say


def import_households_command(path: Path, *, dry_run: bool = False) -> int:
    """Import ``path``; print every problem (up to ``SHOW_LIMIT``) or the summary."""
    from jiuzhu.accounts.services import system_user
    from jiuzhu.exchange.importing import households_import

    if not path.is_file():
        print(f"错误：找不到文件“{path}”。", file=sys.stderr)
        return EXIT_BAD_INPUT
    started = time.monotonic()
    try:
        result = households_import(
            actor=system_user(),
            path=path,
            name=path.name,
            channel=CHANNEL,
            dry_run=dry_run,
            progress=_progress(started),  # type: ignore[arg-type]
        )
    except ImportRejected as rejected:
        for problem in rejected.problems[:SHOW_LIMIT]:
            print(problem, file=sys.stderr)
        if rejected.total > SHOW_LIMIT:
            print(f"……仅列出前 {SHOW_LIMIT} 处。", file=sys.stderr)
        print(f"错误：{rejected.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DomainError as error:
        print(f"错误：{error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(result.summary())
    print(f"用时 {time.monotonic() - started:.1f} 秒。")
    return EXIT_OK


def export_households_command(
    *, fmt: str, out: Path, region_code: str = "", reason: str = "命令行导出", reveal: bool = False
) -> int:
    """Export the current members to ``out``; ID numbers masked unless ``reveal`` (``--reveal``)."""
    from jiuzhu.accounts.services import system_user
    from jiuzhu.exchange.exporting import households_export

    started = time.monotonic()
    if not out.parent.is_dir():
        print(f"错误：目录“{out.parent}”不存在。", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        result = households_export(
            actor=system_user(),
            fmt=fmt,
            out=out,
            region_code=region_code,
            reason=reason,
            reveal=reveal,
            channel=CHANNEL,
            progress=_progress(started),  # type: ignore[arg-type]
        )
    except DomainError as error:
        print(f"错误：{error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(result.summary())
    print(f"用时 {time.monotonic() - started:.1f} 秒。")
    return EXIT_OK
