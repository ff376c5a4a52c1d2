"""Registry routes of /api/v1/ (households, persons). Filled in by the API work."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["低收入人口数据库"])
