"""``jiuzhu``: the operator's command line (DESIGN.md §7).

Each subcommand sets Django up with the database ``JIUZHU_DATABASE_URL`` names and calls
the same services the web UI uses. Bad input exits with status 2 and a Chinese message.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
from pathlib import Path

from jiuzhu.core.cli_zh import ChineseArgumentParser

EXIT_BAD_INPUT = 2


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings.base")
    import django
    from django.apps import apps

    if not apps.ready:  # once per process: a second setup would re-bind logging to the current stderr
        django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.conf import settings
    from django.core.management import call_command

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=verbosity)


def _build_parser() -> ChineseArgumentParser:
    parser = ChineseArgumentParser(prog="jiuzhu", description="救助：低收入人口动态监测和分层分类救助平台")
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=ChineseArgumentParser)
    sub.required = True

    serve = sub.add_parser("serve", help="启动网页界面和接口服务")
    serve.add_argument("--port", type=int, default=8000, help="端口（默认8000）")
    serve.add_argument("--host", default="127.0.0.1", help="监听地址（默认127.0.0.1）")
    serve.add_argument("--workers", type=int, default=2, help="工作进程数（默认2）")

    demo = sub.add_parser("demo", help="迁移数据库、生成演示县数据（数据库为空时）并启动服务")
    demo.add_argument("--households", type=int, default=None, help="家庭户数（默认约2000户）")
    demo.add_argument("--region", default=None, help="县级区划代码（6位或12位，默认140702 榆次区）")
    demo.add_argument("--seed", type=int, default=20261123, help="随机种子（同一种子生成相同数据）")
    demo.add_argument("--no-serve", action="store_true", help="只生成数据，不启动服务")
    demo.add_argument("--port", type=int, default=8000, help="端口（默认8000）")

    imp = sub.add_parser("import", help="从 xlsx/csv 文件导入")
    imp.add_argument("what", choices=["households"], help="导入对象：households（家庭及成员）")
    imp.add_argument("file", help="xlsx 或 csv 文件")

    exp = sub.add_parser("export", help="导出（留痕）")
    exp.add_argument("what", choices=["households"], help="导出对象：households（家庭及成员）")
    exp.add_argument("--format", choices=["xlsx", "csv", "parquet"], required=True, help="文件格式")
    exp.add_argument("--out", required=True, help="输出文件路径")
    exp.add_argument("--region", default="", help="只导出该区划代码下的数据")
    exp.add_argument("--reason", default="命令行导出", help="导出事由（记入审计）")
    exp.add_argument("--reveal", action="store_true", help="导出完整身份证号（须同时用 --reason 写明事由；留痕）")

    policy = sub.add_parser("policy", help="救助政策计算（规则引擎）")
    policy_sub = policy.add_subparsers(dest="policy_command", metavar="子命令", parser_class=ChineseArgumentParser)
    policy_sub.required = True
    compute = policy_sub.add_parser("compute", help="按案件文件计算各项救助（无需数据库）")
    compute.add_argument("case", metavar="案件文件", help="案件文件（JSON，格式见 docs/case-format.md）")
    compute.add_argument(
        "--as-of", dest="as_of", metavar="YYYY-MM-DD", default=None, help="计算日期 YYYY-MM-DD（覆盖文件中的 as_of）"
    )
    compute.add_argument("--programme", action="append", metavar="项目", default=None, help="只计算该项目（可重复）")
    compute.add_argument("--json", action="store_true", help="在标准输出打印 JSON 结果")
    compute.add_argument("--explain", action="store_true", help="打印中文计算过程（与 --json 同用时写到标准错误）")

    run = policy_sub.add_parser("run", help="批量计算辖区内全部在册家庭的救助待遇（DuckDB 或 Spark）")
    run.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb", help="计算引擎（默认 duckdb）")
    run.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD", default=None, help="计算日期（默认今天）")
    run.add_argument("--region", default=None, help="区划代码（默认全部在册家庭所在的县）")
    run.add_argument("--out", default=None, help="把逐户结果写成 Parquet 文件")
    run.add_argument("--sample", type=int, default=50, help="抽样逐户复核的户数（默认50）")

    whatif = policy_sub.add_parser("whatif", help="政策调整测算：调整参数前后对比")
    whatif.add_argument(
        "--set",
        dest="settings",
        action="append",
        required=True,
        metavar="参数名=数值单位",
        help="调整的参数，如 dibao.standard.urban=900元/人·月（可重复）",
    )
    whatif.add_argument("--from", dest="as_of", metavar="YYYY-MM-DD", required=True, help="调整自何日起")
    whatif.add_argument("--region", default=None, help="测算范围的区划代码（默认全部在册家庭所在的县）")
    whatif.add_argument("--out", default=None, help="测算报告（.xlsx）")

    sub.add_parser("migrate", help="迁移数据库结构")
    manage = sub.add_parser("manage", help="运行 Django 管理命令")
    manage.add_argument("args", nargs="*", help="传给 manage.py 的参数")
    return parser


def _serve(host: str, port: int, workers: int) -> int:
    """Serve with gunicorn (threads), whitenoise serving the vendored assets."""
    from gunicorn.app.base import BaseApplication

    from jiuzhu.wsgi import application

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", None)
            self.cfg.set("timeout", 120)

        def load(self) -> object:
            return application

    print(f"救助平台已启动：http://{host}:{port}/  （按 Ctrl+C 停止）", flush=True)
    _Server().run()
    return 0


def _demo(args: object) -> int:
    from django.conf import settings

    from jiuzhu.demo.commands import DEFAULT_HOUSEHOLDS, DEFAULT_REGION, demo_accounts_ensure, demo_generate
    from jiuzhu.registry.models import Household

    households = getattr(args, "households", None)
    region = getattr(args, "region", None) or DEFAULT_REGION
    _migrate()
    if households is not None or not Household.objects.exists():
        demo_generate(
            households=households or DEFAULT_HOUSEHOLDS,
            region_code=region,
            seed=getattr(args, "seed", 0),
            progress=True,
        )
    else:
        print("数据库中已有家庭档案，跳过演示数据生成（指定 --households 可追加生成）。")
    if settings.JIUZHU_ALLOW_DEMO_ACCOUNTS:
        password = os.environ.get("JIUZHU_DEMO_PASSWORD") or secrets.token_urlsafe(9)
        accounts = demo_accounts_ensure(region_code=region, password=password)
        print(f"\n演示账户（密码：{password}）：")
        for username, label in accounts:
            print(f"  {username:<26} {label}")
    else:
        print("生产环境配置不创建演示账户。", file=sys.stderr)
    if getattr(args, "no_serve", False):
        return 0
    return _serve("127.0.0.1", getattr(args, "port", 8000), 2)


def _policy_compute(args: argparse.Namespace) -> int:
    """``jiuzhu policy compute``: the case-format contract; needs no database."""
    import datetime as dt
    import json

    from jiuzhu.policy.services import compute_case_text
    from jiuzhu.rules.errors import RulesError

    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        print(f"错误：--as-of 应为日期 YYYY-MM-DD，实为“{args.as_of}”", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        text = Path(args.case).read_text(encoding="utf-8")
    except FileNotFoundError:
        print(f"错误：案件文件“{args.case}”不存在", file=sys.stderr)
        return EXIT_BAD_INPUT
    except IsADirectoryError:
        print(f"错误：“{args.case}”是目录，不是案件文件", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PermissionError:
        print(f"错误：没有读取案件文件“{args.case}”的权限", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UnicodeDecodeError:
        print(f"错误：案件文件“{args.case}”不是 UTF-8 编码的文本", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"错误：无法读取案件文件“{args.case}”（{error.strerror or error}）", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        evaluation = compute_case_text(text, as_of=as_of, programmes=args.programme)
    except RulesError as error:
        print(f"错误：{args.case}：{error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(evaluation.output, ensure_ascii=False, indent=2))
    if args.explain or not args.json:
        # With --json, stdout carries the JSON object and nothing else: the trace text goes to stderr.
        print(evaluation.explain(), file=sys.stderr if args.json else sys.stdout)
    return 0


def _date_argument(text: str | None, option: str) -> dt.date:

    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        from jiuzhu.core.errors import DomainError

        raise DomainError("bad_date", f"{option} 应为日期 YYYY-MM-DD，实为“{text}”") from None


def _default_region() -> str:
    from jiuzhu.registry.models import Household

    first = Household.objects.order_by("id").values_list("region_id", flat=True).first()
    return first[:6] if first else ""


def _policy_run(args: argparse.Namespace) -> int:
    from jiuzhu.accounts.services import system_user
    from jiuzhu.policy.batch_runs import policy_run

    as_of = _date_argument(args.as_of, "--as-of")
    region = args.region or _default_region()
    outcome = policy_run(
        region_code=region,
        as_of=as_of,
        engine=args.engine,
        actor=system_user(),
        out=Path(args.out) if args.out else None,
        sample=args.sample,
        progress=lambda message: print(message, file=sys.stderr, flush=True),
    )
    run = outcome.run
    print(
        f"批量计算完成：区划 {run.region_code}，{run.as_of}，{run.engine}，"
        + f"{run.households} 户，用时 {run.duration_seconds} 秒"
    )
    for programme, counts in run.counts.items():
        print(
            f"  {programme:<22} 符合 {counts['true']:>7} 户  不符合 {counts['false']:>7} 户  "
            f"无法判断 {counts['null']:>7} 户  月金额 {run.totals.get(programme, '0.00'):>14} 元"
        )
    print(f"抽样逐户复核 {run.rechecked} 户，结果一致。")
    if args.out:
        print(f"逐户结果已写入 {args.out}")
    return 0


def _policy_whatif(args: argparse.Namespace) -> int:
    from jiuzhu.accounts.services import system_user
    from jiuzhu.policy.whatif import PROGRAMME_LABELS, parse_setting, whatif, write_report_xlsx

    as_of = _date_argument(args.as_of, "--from")
    settings = dict(parse_setting(text) for text in args.settings)
    region = args.region or _default_region()
    report = whatif(region_code=region, as_of=as_of, settings=settings, actor=system_user())
    print(f"政策调整测算：区划 {region}，自 {as_of} 起，{report.households} 户")
    for programme, row in report.by_programme.items():
        print(
            f"  {PROGRAMME_LABELS.get(programme, programme):<8} 调整前 {row['before_households']:>6} 户 "
            f"调整后 {row['after_households']:>6} 户  新增 {row['enter']:>5} 退出 {row['leave']:>5} "
            f"增发 {row['gain']:>5} 减发 {row['lose']:>5}  月增支 {row['delta_month']:>12.2f} 元"
        )
    print(f"合计月增支 {report.cost_month:.2f} 元，年增支 {report.cost_year:.2f} 元")
    if args.out:
        write_report_xlsx(report, Path(args.out))
        print(f"测算报告已写入 {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``jiuzhu`` console script."""
    args = _build_parser().parse_args(argv)
    if args.command == "policy" and args.policy_command == "compute":
        if os.environ.get("JIUZHU_DATABASE_URL"):
            _django_setup()  # administrators' parameter records are layered over the YAML (case-format.md)
        return _policy_compute(args)
    _django_setup()
    from jiuzhu.core.errors import DomainError
    from jiuzhu.rules.errors import RulesError

    try:
        if args.command == "policy":
            return _policy_run(args) if args.policy_command == "run" else _policy_whatif(args)
        if args.command == "serve":
            return _serve(args.host, args.port, args.workers)
        if args.command == "demo":
            return _demo(args)
        if args.command == "migrate":
            _migrate(verbosity=1)
            return 0
        if args.command == "import":
            from jiuzhu.exchange.commands import import_households_command

            return import_households_command(Path(args.file))
        if args.command == "export":
            from jiuzhu.exchange.commands import export_households_command

            if args.reveal and args.reason == "命令行导出":
                print("错误：导出完整身份证号须用 --reason 写明事由", file=sys.stderr)
                return EXIT_BAD_INPUT
            return export_households_command(
                fmt=args.format, out=Path(args.out), region_code=args.region, reason=args.reason, reveal=args.reveal
            )
        if args.command == "manage":
            from django.core.management import execute_from_command_line

            execute_from_command_line(["jiuzhu manage", *args.args])
            return 0
    except DomainError as error:
        print(f"错误：{error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RulesError as error:  # a batch run that fails its re-check: a defect, reported loudly
        print(f"错误：{error.message}", file=sys.stderr)
        return 1
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
