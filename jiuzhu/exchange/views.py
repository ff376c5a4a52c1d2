"""Import and export pages: thin, each calls one service and renders its result."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import Permission, has_permission, require
from jiuzhu.exchange.columns import COLUMNS
from jiuzhu.exchange.exporting import households_export
from jiuzhu.exchange.forms import ExportForm, ImportForm
from jiuzhu.exchange.importing import households_import
from jiuzhu.exchange.problems import SHOW_LIMIT, ImportRejected
from jiuzhu.exchange.selectors import villages_for
from jiuzhu.exchange.template import GENERAL_NOTES, allowed_values, template_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAME = "家庭成员导入模板.xlsx"
CONTENT_TYPES = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_http_methods(["GET", "POST"])
def import_households_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Permission.REGISTRY_IMPORT)
    context: dict[str, object] = {
        "columns": [(c, allowed_values(c)) for c in COLUMNS],
        "notes": GENERAL_NOTES,
        "show_limit": SHOW_LIMIT,
    }
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = Path(upload.name or "upload").name
        with tempfile.TemporaryDirectory(prefix="jiuzhu-import-") as folder:
            path = Path(folder) / f"upload{Path(name).suffix.lower()}"
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            try:
                context["result"] = households_import(
                    actor=user, path=path, name=name, dry_run=form.cleaned_data["dry_run"]
                )
            except ImportRejected as rejected:
                context["rejected"] = rejected
                context["problems"] = rejected.problems[:SHOW_LIMIT]
                status = 422
    elif request.method == "POST":
        status = 422
    context["form"] = form
    return render(request, "exchange/import.html", context, status=status)


def import_template_view(request: HttpRequest) -> HttpResponse:
    """The xlsx template, with the villages the user may import into (village workers prepare files too)."""
    user = _user(request)
    if not has_permission(user, Permission.REGISTRY_EDIT):
        require(user, Permission.REGISTRY_IMPORT)
    response = HttpResponse(template_workbook(villages=villages_for(user=user)), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=TEMPLATE_NAME) or ""
    return response


@require_http_methods(["GET", "POST"])
def export_households_view(request: HttpRequest) -> HttpResponse | FileResponse:
    user = _user(request)
    require(user, Permission.REGISTRY_EXPORT)
    form = ExportForm(request.POST, user=user) if request.method == "POST" else ExportForm(user=user)
    if request.method != "POST" or not form.is_valid():
        return render(request, "exchange/export.html", {"form": form}, status=422 if request.method == "POST" else 200)
    data = form.cleaned_data
    fmt = data["fmt"]
    sink = tempfile.TemporaryFile(prefix="jiuzhu-export-")  # noqa: SIM115 - FileResponse closes (and so deletes) it
    try:
        result = households_export(
            actor=user,
            fmt=fmt,
            out=sink,
            region_code=data["region"] or "",
            reason=data["reason"],
            reveal=bool(data.get("reveal")),
            ip_address=request.META.get("REMOTE_ADDR"),
        )
    except BaseException:
        sink.close()
        raise
    sink.seek(0)
    filename = f"家庭成员_{result.region_code.rstrip('0') or '全部'}_{timezone.localdate():%Y%m%d}.{fmt}"
    return FileResponse(sink, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[fmt])
