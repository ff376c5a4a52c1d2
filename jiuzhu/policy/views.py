"""Policy pages: packs and parameters with history and sources, two regions compared, a household's
current entitlement (page and one-page PDF), batch runs and what-if. Thin: the work is in services."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import Permission, require
from jiuzhu.core.errors import DomainError
from jiuzhu.policy import selectors
from jiuzhu.policy.entitlements import Entitlement, household_entitlement
from jiuzhu.policy.models import BatchRun
from jiuzhu.policy.services import policy_library
from jiuzhu.policy.whatif import CHANGE_LABELS, PROGRAMME_LABELS, parse_setting, whatif, write_report_xlsx
from jiuzhu.registry.selectors import household_get_for
from jiuzhu.rules.errors import RulesError
from jiuzhu.rules.params import normalise_region


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _user_with_jurisdiction(request: HttpRequest, permission: Permission) -> tuple[User, str]:
    """The signed-in user, who must hold ``permission`` (else 403), and the code prefix of their jurisdiction; a
    user without one has nothing to see on the page (404)."""
    user = _user(request)
    require(user, permission)
    prefix = user.jurisdiction_prefix()
    if prefix is None:
        raise Http404
    return user, prefix


def _date(text: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else default
    except ValueError:
        return default


def pack_list_view(request: HttpRequest) -> HttpResponse:
    require(_user(request), Permission.POLICY_VIEW)
    library = policy_library()
    rows = [
        {
            "pack": pack,
            "level": selectors.LEVEL_LABELS.get(pack.level, pack.level),
            "count": len(pack.parameters),
            "examples": sum(1 for values in pack.parameters.values() for v in values if v.is_example),
        }
        for pack in selectors.packs(library)
    ]
    return render(request, "policy/pack_list.html", {"rows": rows})


def pack_detail_view(request: HttpRequest, region: str) -> HttpResponse:
    require(_user(request), Permission.POLICY_VIEW)
    library = policy_library()
    pack = library.packs.get(region)
    if pack is None:
        raise Http404
    parameters = selectors.pack_parameters(library, pack)
    return render(
        request,
        "policy/pack_detail.html",
        {"pack": pack, "parameters": parameters, "level": selectors.LEVEL_LABELS.get(pack.level, pack.level)},
    )


class CompareForm(forms.Form):
    a = forms.CharField(label="地区甲（区划代码）", max_length=12, initial="140700")
    b = forms.CharField(label="地区乙（区划代码）", max_length=12, initial="341800")
    as_of = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_a(self) -> str:
        return _region(self.cleaned_data["a"])

    def clean_b(self) -> str:
        return _region(self.cleaned_data["b"])


def _region(code: str) -> str:
    try:
        return normalise_region(code.strip())
    except RulesError as error:
        raise forms.ValidationError(error.message) from None
    except ValueError as error:
        raise forms.ValidationError(f"区划代码“{code}”无效：{error}") from None


def compare_view(request: HttpRequest) -> HttpResponse:
    require(_user(request), Permission.POLICY_VIEW)
    today = timezone.localdate()
    data = request.GET if "a" in request.GET else None
    form = CompareForm(data, initial={"as_of": today})
    rows = None
    if form.is_valid():
        rows = selectors.compare_regions(
            policy_library(), form.cleaned_data["a"], form.cleaned_data["b"], form.cleaned_data["as_of"]
        )
    return render(request, "policy/compare.html", {"form": form, "rows": rows})


def _entitlement(request: HttpRequest, household_id: int) -> Entitlement:
    """The entitlement the page and the PDF show: of a household in the user's jurisdiction (else 404), on the
    day ``?as_of`` names (today when absent or unreadable)."""
    user = _user(request)
    require(user, Permission.POLICY_VIEW)
    household = household_get_for(user=user, household_id=household_id)
    return household_entitlement(household=household, as_of=_date(request.GET.get("as_of"), timezone.localdate()))


def entitlement_view(request: HttpRequest, household_id: int) -> HttpResponse:
    entitlement = _entitlement(request, household_id)
    template = "policy/entitlement.html#summary" if request.headers.get("HX-Request") else "policy/entitlement.html"
    return render(request, template, {"e": entitlement, "h": entitlement.household})


def entitlement_pdf_view(request: HttpRequest, household_id: int) -> HttpResponse:
    entitlement = _entitlement(request, household_id)
    household = entitlement.household
    html = render_to_string(
        "policy/entitlement_pdf.html", {"e": entitlement, "h": household, "printed": timezone.localtime()}
    )
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=str(Path(__file__).parent)).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="entitlement-{household.household_number}.pdf"'
    return response


def run_list_view(request: HttpRequest) -> HttpResponse:
    _, prefix = _user_with_jurisdiction(request, Permission.POLICY_VIEW)
    runs = BatchRun.objects.filter(region_code__startswith=prefix).order_by("-as_of", "region_code")[:100]
    rows = [
        {
            "run": run,
            "programmes": [
                {"label": PROGRAMME_LABELS.get(p, p), "count": c, "total": run.totals.get(p, "0.00")}
                for p, c in run.counts.items()
            ],
        }
        for run in runs
    ]
    return render(request, "policy/run_list.html", {"rows": rows})


class WhatIfForm(forms.Form):
    settings = forms.CharField(
        label="调整内容（每行一项：参数名=数值单位）",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "dibao.standard.urban=900元/人·月"}),
    )
    as_of = forms.DateField(label="自何日起", widget=forms.DateInput(attrs={"type": "date"}))
    region = forms.CharField(label="测算范围（区划代码，默认本辖区）", max_length=12, required=False)

    def clean_settings(self) -> dict[str, tuple[object, str]]:
        parsed = {}
        for line in self.cleaned_data["settings"].splitlines():
            if line.strip():
                try:
                    name, value = parse_setting(line)
                except DomainError as error:
                    raise forms.ValidationError(error.message) from None
                parsed[name] = value
        if not parsed:
            raise forms.ValidationError("请至少填写一项调整")
        return parsed


@require_http_methods(["GET", "POST"])
def whatif_view(request: HttpRequest) -> HttpResponse:
    user, prefix = _user_with_jurisdiction(request, Permission.POLICY_WHATIF)
    form = WhatIfForm(request.POST or None, initial={"as_of": timezone.localdate()})
    report = None
    error = ""
    if request.method == "POST" and form.is_valid():
        region = form.cleaned_data["region"].strip() or prefix
        if not region.startswith(prefix):
            error = f"测算范围 {region} 不在您的管辖范围内"
        else:
            try:
                report = whatif(
                    region_code=region,
                    as_of=form.cleaned_data["as_of"],
                    settings=form.cleaned_data["settings"],
                    actor=user,
                    channel="web",
                )
            except DomainError as refusal:
                error = refusal.message
        if report is not None and request.POST.get("format") == "xlsx":
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "whatif.xlsx"
                write_report_xlsx(report, path)
                content = path.read_bytes()
            response = HttpResponse(
                content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
            response["Content-Disposition"] = 'attachment; filename="whatif.xlsx"'
            return response
    return render(
        request,
        "policy/whatif.html",
        {
            "form": form,
            "report": report,
            "error": error,
            "labels": PROGRAMME_LABELS,
            "change_labels": CHANGE_LABELS,
        },
    )


class ParameterRecordForm(forms.Form):
    region_code = forms.CharField(label="区划代码（6位）", max_length=6, min_length=6)
    name = forms.ChoiceField(label="参数")
    value = forms.CharField(label="取值", max_length=200, help_text="数值直接填写；规则填英文代码；多项用逗号分隔")
    unit = forms.CharField(label="单位", max_length=20)
    effective = forms.DateField(label="生效日期", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="截止日期（可空）", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.CharField(label="文号或来源", max_length=200)
    article = forms.CharField(label="条款", max_length=200, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        catalog = policy_library().catalog
        name_field = self.fields["name"]
        assert isinstance(name_field, forms.ChoiceField)
        name_field.choices = [(name, f"{entry.label}（{name}）") for name, entry in catalog.items()]
        self.catalog = catalog

    def parsed_value(self) -> object:
        text = self.cleaned_data["value"].strip()
        kind = self.catalog[self.cleaned_data["name"]].kind
        if kind == "set":
            return [item.strip() for item in text.replace("，", ",").split(",") if item.strip()]
        if kind == "flag":
            return text in ("是", "true", "True", "1")
        return text


@require_http_methods(["GET", "POST"])
def parameter_record_create_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Permission.PARAMETER_EDIT)
    from jiuzhu.policy.parameter_records import parameter_record_create

    form = ParameterRecordForm(request.POST or None, initial={"region_code": (user.jurisdiction_prefix() or "")[:6]})
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            record = parameter_record_create(
                actor=user,
                region_code=form.cleaned_data["region_code"],
                name=form.cleaned_data["name"],
                value=form.parsed_value(),
                unit=form.cleaned_data["unit"].strip(),
                effective=form.cleaned_data["effective"],
                end=form.cleaned_data["end"],
                source=form.cleaned_data["source"],
                article=form.cleaned_data["article"],
            )
        except DomainError as refusal:
            error = refusal.message
        else:
            from django.contrib import messages
            from django.shortcuts import redirect

            messages.success(request, f"已录入：{record}")
            return redirect("policy_packs")
    return render(request, "policy/record_form.html", {"form": form, "error": error})
