"""Policy computation over HTTP: ``POST /api/v1/policy/compute`` (../shared/case-format.md, docs/case-format.md)."""
