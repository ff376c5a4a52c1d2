"""Turn ``JIUZHU_DATABASE_URL`` into a Django ``DATABASES`` entry.

Accepted forms (DESIGN.md §5b): ``sqlite:////abs/path``, ``sqlite:///rel/path``,
``postgres://user:pw@host:port/name`` and ``postgresql://…``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


class DatabaseUrlError(ValueError):
    """The URL names no database engine jiuzhu supports."""


def database_from_url(url: str, *, base_dir: Path) -> dict[str, Any]:
    """Return the Django database settings for ``url``; relative SQLite paths resolve against ``base_dir``."""
    if url.startswith("sqlite:///"):
        raw_path = url[len("sqlite:///") :]
        path = Path(raw_path) if raw_path.startswith("/") else base_dir / raw_path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                # WAL lets readers work while the web process or an import writes;
                # IMMEDIATE avoids "database is locked" on read-then-write transactions.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql"}:
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "jiuzhu",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise DatabaseUrlError(f"无法识别的数据库地址“{url}”：应为 sqlite:///路径 或 postgres://用户@主机:端口/库名")
