"""Write or check the committed OpenAPI document (docs/openapi.json).

python -m jiuzhu.core.openapi --write docs/openapi.json
python -m jiuzhu.core.openapi --check docs/openapi.json   # CI: fails when the API changed
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path


def render() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings.base")
    import django

    django.setup()
    from jiuzhu.api import api

    return json.dumps(api.get_openapi_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path)
    group.add_argument("--check", type=Path)
    args = parser.parse_args()
    current = render()
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(current, encoding="utf-8")
        return 0
    committed = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
    if committed == current:
        return 0
    sys.stdout.writelines(
        difflib.unified_diff(committed.splitlines(True), current.splitlines(True), str(args.check), "generated")
    )
    print("OpenAPI 文档与代码不一致：运行 make openapi 并提交 docs/openapi.json", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
