"""Forms of the registry pages: parsing and Chinese field errors; the services decide and write.

Identity and disability checks call the shared ``validation`` module (the one the services
and imports use), so every problem shows next to its field on the first submit; the service
checks again and its ``RegistryValidationError`` problems are mapped back with ``add_problems``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from jiuzhu.core import id_numbers
from jiuzhu.registry.choices import (
    Capacity,
    CareSetting,
    Category,
    DisabilityType,
    HealthStatus,
    HouseholdStatus,
    HukouType,
    PersonStatus,
    PhaseOutReason,
    Relation,
    SelfCare,
    Sex,
    SpecialStatus,
    Student,
    UrbanRural,
)
from jiuzhu.registry.selectors import HouseholdFilter, RegionOption
from jiuzhu.registry.services import PERSON_FIELDS
from jiuzhu.registry.validation import FieldProblem, check_disability, check_person_identity

DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
DISABILITY_GRADES = [(1, "一级"), (2, "二级"), (3, "三级"), (4, "四级")]
PHONE = RegexValidator(r"^[0-9+\- ]{5,20}$", "请填写有效的电话号码（数字，可含“-”）。")
REGION_CODE = RegexValidator(r"^\d{12}$", "应为12位数字的统计用区划代码。")


CENT = Decimal("0.01")


def _cents(value: Decimal | None) -> Decimal | None:
    """A money amount written to 分 (``8000.5`` → ``8000.50``); the field already refuses a third decimal."""
    return None if value is None else value.quantize(CENT)


def _optional(choices: Sequence[tuple[str, str]], blank: str = "未登记") -> list[tuple[str, str]]:
    return [("", blank), *choices]


def _optional_choice(
    label: str, choices: Sequence[tuple[str, str]], blank: str = "未登记", help_text: str = ""
) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=_optional(choices, blank), required=False, empty_value=None, help_text=help_text
    )


def add_problems(form: forms.Form, problems: Sequence[FieldProblem]) -> None:
    """Put each problem next to its field; a problem about a field the form lacks goes on top."""
    for problem in problems:
        if problem.field in form.fields:
            if problem.field not in form.errors or problem.message not in form.errors[problem.field]:
                form.add_error(problem.field, problem.message)
        else:
            form.add_error(None, str(problem))


class PersonForm(forms.Form):
    """A person's recorded facts: a field for each of ``services.PERSON_FIELDS`` (``person_fields``)."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "idn", "inputmode": "text"}),
        help_text="18位居民身份证号，末位可为X",
    )
    sex = _optional_choice("性别", Sex.choices, blank="按身份证号", help_text="可不选，由身份证号第17位得出")
    birth_date = forms.DateField(
        label="出生日期", required=False, widget=DATE_WIDGET, help_text="可不填，由身份证号得出；填写时须一致"
    )
    phone = forms.CharField(label="联系电话", max_length=20, required=False, validators=[PHONE])
    hukou_type = _optional_choice("户籍性质", HukouType.choices)
    hukou_region_code = forms.CharField(
        label="户籍地区划代码",
        max_length=12,
        required=False,
        validators=[REGION_CODE],
        help_text="12位，如140702001002",
    )
    disability_type = _optional_choice("残疾类别", DisabilityType.choices, blank="无残疾/未登记")
    disability_grade = forms.TypedChoiceField(
        label="残疾等级",
        choices=[("", "无残疾/未登记"), *DISABILITY_GRADES],
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "残疾等级应为1–4级。"},
    )
    self_care = _optional_choice("生活自理能力", SelfCare.choices)
    labour_capacity = _optional_choice("劳动能力", Capacity.choices)
    health = _optional_choice("健康状况", HealthStatus.choices)
    student = _optional_choice("在校情况", Student.choices, blank="不在校/未登记")
    care_setting = _optional_choice("供养方式", CareSetting.choices, blank="不适用", help_text="特困人员填写")
    special_status = forms.ChoiceField(label="特殊情形", choices=SpecialStatus.choices, initial=SpecialStatus.NONE)

    person_fields = PERSON_FIELDS

    def clean_id_number(self) -> str:
        return str(self.cleaned_data["id_number"]).strip().replace(" ", "").upper()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("id_number"):
            add_problems(
                self,
                check_person_identity(
                    id_number=cleaned["id_number"], birth_date=cleaned.get("birth_date"), sex=cleaned.get("sex")
                ),
            )
        if "disability_grade" in cleaned and "disability_type" in cleaned:
            add_problems(
                self,
                check_disability(
                    disability_type=cleaned.get("disability_type"), disability_grade=cleaned.get("disability_grade")
                ),
            )
        return cleaned

    def person_data(self) -> dict[str, Any]:
        """Cleaned values for ``services.person_add_to_household`` / ``person_update``."""
        data = {field: self.cleaned_data.get(field) for field in self.person_fields}
        for text_field in ("phone", "hukou_region_code"):
            data[text_field] = data[text_field] or ""
        return data


class MemberAddForm(PersonForm):
    field_order = ["name", "id_number", "relation", "valid_from", "in_household"]
    relation = forms.ChoiceField(
        label="与户主关系", choices=_optional([c for c in Relation.choices if c[0] != Relation.HEAD], "请选择")
    )
    valid_from = forms.DateField(label="入户日期", widget=DATE_WIDGET, initial=timezone.localdate)
    in_household = forms.BooleanField(
        label="共同生活家庭成员",
        required=False,
        initial=True,
        help_text="不勾选：登记在户但收入不计入（如离家宗教教职人员）",
    )


class PersonEditForm(PersonForm):
    """Editing a person; ``relation`` is offered only while they belong to a household.

    The recorded ID number is never put into the page (that would be a reveal without a reason or an
    audit record): the field starts empty, shows the masked number, and empty means "unchanged". Sex and
    birth date start empty too, so a corrected number brings its own (both follow from the number).
    """

    relation = forms.ChoiceField(label="与户主关系", choices=Relation.choices)
    field_order = ["name", "relation", "id_number"]

    def __init__(
        self,
        *args: Any,
        current_id_number: str,
        current_sex: str,
        current_birth_date: dt.date,
        has_household: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.current_id_number = current_id_number
        field = self.fields["id_number"]
        field.required = False
        field.label = "更正身份证号"
        field.help_text = f"现登记为 {id_numbers.mask(current_id_number)}；无需更正请留空"
        self.fields["sex"].help_text = f"现登记为“{Sex(current_sex).label}”；留空则按身份证号"
        self.fields["birth_date"].help_text = f"现登记为 {current_birth_date:%Y-%m-%d}；留空则按身份证号"
        if not has_household:
            del self.fields["relation"]

    def clean_id_number(self) -> str:
        typed = super().clean_id_number()
        return typed or self.current_id_number


class HouseholdCreateForm(forms.Form):
    village = forms.ChoiceField(label="所属村(社区)")
    urban_rural = forms.ChoiceField(label="城乡类别", choices=_optional(UrbanRural.choices, "请选择"))
    address = forms.CharField(label="家庭住址", max_length=200)
    phone = forms.CharField(label="联系电话", max_length=20, required=False, validators=[PHONE])
    valid_from = forms.DateField(
        label="建档日期", widget=DATE_WIDGET, initial=timezone.localdate, help_text="户主入户日期"
    )

    def __init__(self, *args: Any, villages: Sequence[RegionOption], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["village"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = village_choices(villages)
        if len(villages) == 1:
            field.initial = villages[0].code


def village_choices(villages: Sequence[RegionOption]) -> list[Any]:
    """Villages grouped under their township (``<optgroup>``), for choosing where a household lives."""
    if len(villages) == 1:
        return [(villages[0].code, villages[0].short_name)]
    groups: dict[str, list[tuple[str, str]]] = {}
    for village in villages:
        groups.setdefault(village.parent_name, []).append((village.code, village.short_name))
    return [("", "请选择"), *groups.items()]


class HouseholdEditForm(forms.Form):
    urban_rural = forms.ChoiceField(label="城乡类别", choices=UrbanRural.choices)
    address = forms.CharField(label="家庭住址", max_length=200)
    phone = forms.CharField(label="联系电话", max_length=20, required=False, validators=[PHONE])
    financial_assets = forms.DecimalField(
        label="金融资产（元）",
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="存款、有价证券等合计；不填表示未登记",
    )
    house_count = forms.IntegerField(
        label="住房（套）", min_value=0, max_value=99, required=False, help_text="不填表示未登记"
    )
    vehicle_count = forms.IntegerField(
        label="机动车（辆）", min_value=0, max_value=99, required=False, help_text="不填表示未登记"
    )
    status = forms.ChoiceField(label="状态", choices=HouseholdStatus.choices)

    def clean_financial_assets(self) -> Decimal | None:
        return _cents(self.cleaned_data["financial_assets"])


class QuickSelect(forms.Select):
    """A select written in Python, not through Django's template per option (about 0.2 ms each: 60 ms for the
    300 townships and villages of a county, on every list page). Same markup; flat (value, label) choices only,
    kept as given (Django would normalise each of them again on every page)."""

    @property  # type: ignore[override]
    def choices(self) -> list[tuple[Any, Any]]:
        return self._flat_choices

    @choices.setter
    def choices(self, value: Any) -> None:
        self._flat_choices = list(value)

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{html.escape(str(v))}"{" selected" if str(v) in chosen else ""}>{html.escape(str(label))}'
            "</option>"
            for v, label in self.choices
        )
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attributes, mark_safe(options))  # noqa: S308


class HouseholdFilterForm(forms.Form):
    """The list's search box and filters (GET)."""

    q = forms.CharField(
        label="查询",
        max_length=50,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "18位身份证号、户编号或姓名开头", "autocomplete": "off"}
        ),
    )
    # Checked against the regions offered (a dict), not a ChoiceField's list: normalising and scanning 300 choices
    # cost about 10 ms a page.
    region = forms.CharField(label="所属区域", required=False, widget=QuickSelect)
    category = forms.ChoiceField(
        label="当前类别", required=False, choices=_optional(Category.choices, "全部"), widget=QuickSelect
    )
    status = forms.ChoiceField(
        label="家庭状态", required=False, choices=_optional(HouseholdStatus.choices, "全部"), widget=QuickSelect
    )

    def __init__(self, *args: Any, regions: Sequence[RegionOption], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions = {r.code: r for r in regions}
        widget = self.fields["region"].widget
        assert isinstance(widget, QuickSelect)
        widget.choices = [("", "全部（管辖范围内）"), *((r.code, r.indented_name) for r in regions)]
        # A changed select reloads the results at once (HTMX); the search box waits for 查询 / Enter.
        for name in ("region", "category", "status"):
            self.fields[name].widget.attrs.update(
                {"hx-get": reverse("household_list"), "hx-trigger": "change", "hx-include": "closest form"}
            )

    def clean_region(self) -> str:
        code: str = self.cleaned_data["region"]
        if code and code not in self.regions:
            message = forms.ChoiceField.default_error_messages["invalid_choice"]
            raise forms.ValidationError(message, code="invalid_choice", params={"value": code})
        return code

    def to_filter(self) -> HouseholdFilter:
        """Filters from the fields that parsed; a field with an error is left out (and shown)."""
        data = self.cleaned_data if self.is_bound else {}
        region = self.regions.get(data.get("region") or "")
        return HouseholdFilter(
            region_code=region.prefix if region else "",
            category=data.get("category") or "",
            status=data.get("status") or "",
            query=(data.get("q") or "").strip(),
        )


class _EndForm(forms.Form):
    """Ends a period (a membership, an enrollment) on ``on``, which may not come before the day it began."""

    began_label = ""  # what the day it began is called on the form's page

    def __init__(self, *args: Any, began_on: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.began_on = began_on

    def clean_on(self) -> dt.date:
        on: dt.date = self.cleaned_data["on"]
        if on < self.began_on:
            raise forms.ValidationError(f"不能早于{self.began_label}{self.began_on:%Y-%m-%d}。")
        return on


class MembershipEndForm(_EndForm):
    began_label = "入户日期"
    status = forms.ChoiceField(
        label="情形",
        choices=[(PersonStatus.MOVED_OUT.value, "迁出"), (PersonStatus.DECEASED.value, "死亡")],
        widget=forms.RadioSelect,
    )
    on = forms.DateField(label="迁出或死亡日期", widget=DATE_WIDGET)
    reason = forms.CharField(
        label="说明",
        max_length=200,
        help_text="如：迁往太原市小店区、2025年6月3日因病去世（死亡证明编号…）",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EnrollmentStartForm(forms.Form):
    category = forms.ChoiceField(label="类别", choices=_optional(Category.choices, "请选择"))
    subject = forms.ChoiceField(label="认定对象", help_text="特困、单人保等个人认定请选择成员")
    valid_from = forms.DateField(label="起始日期", widget=DATE_WIDGET)
    amount_month = forms.DecimalField(
        label="月保障金额（元）",
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="按审批结果填写；不发放的标识类别可不填",
    )
    decision_number = forms.CharField(label="决定文号", max_length=60, required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)

    WHOLE_HOUSEHOLD = "household"

    def clean_amount_month(self) -> Decimal | None:
        return _cents(self.cleaned_data["amount_month"])

    def __init__(self, *args: Any, members: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["subject"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(self.WHOLE_HOUSEHOLD, "整户"), *((str(pk), f"个人：{name}") for pk, name in members)]
        field.initial = self.WHOLE_HOUSEHOLD

    def person_id(self) -> int | None:
        subject = self.cleaned_data["subject"]
        return None if subject == self.WHOLE_HOUSEHOLD else int(subject)


class EnrollmentEndForm(_EndForm):
    began_label = "起始日期"
    on = forms.DateField(label="终止日期", widget=DATE_WIDGET)
    reason = forms.CharField(
        label="退出原因",
        max_length=200,
        help_text="如：家庭人均收入超过低保标准，渐退期满",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PhaseOutForm(forms.Form):
    """登记渐退 on a 低保 enrollment: why, and the day it began (not before the enrollment did)."""

    reason = forms.ChoiceField(label="渐退原因", choices=_optional(PhaseOutReason.choices, "请选择"))
    start = forms.DateField(label="渐退开始日期", widget=DATE_WIDGET, help_text="渐退期按整月计，开始当月为第一个月")

    def __init__(self, *args: Any, began_on: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.began_on = began_on

    def clean_start(self) -> dt.date:
        start: dt.date = self.cleaned_data["start"]
        if start < self.began_on:
            raise forms.ValidationError(f"不能早于纳入低保的日期{self.began_on:%Y-%m-%d}。")
        return start


class RevealForm(forms.Form):
    reason = forms.CharField(
        label="查看事由",
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "list": "reveal-reasons",
                "autocomplete": "off",
                "autofocus": True,
                "placeholder": "如：入户核查核对证件",
            }
        ),
    )
