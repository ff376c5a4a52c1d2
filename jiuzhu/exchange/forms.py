"""Forms of the import and export pages: parsing and Chinese field errors only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import Permission, has_permission
from jiuzhu.exchange.exporting import FORMATS
from jiuzhu.exchange.reading import SUPPORTED_SUFFIXES
from jiuzhu.exchange.selectors import export_region_choices_for

MAX_UPLOAD_MB = 200


class ImportForm(forms.Form):
    file = forms.FileField(
        label="导入文件",
        error_messages={"required": "请选择要导入的文件。", "empty": "上传的文件是空的。"},
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUPPORTED_SUFFIXES)}),
    )
    dry_run = forms.BooleanField(label="仅校验，不写入数据库", required=False)

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        suffix = Path(upload.name or "").suffix.lower()
        if suffix == ".xls":
            raise forms.ValidationError("不支持旧版 .xls 文件，请在 Excel 中“另存为” .xlsx 后再导入。")
        if suffix not in SUPPORTED_SUFFIXES:
            raise forms.ValidationError("只能导入 .xlsx、.csv 或 .parquet 文件。")
        if (upload.size or 0) > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(f"文件超过 {MAX_UPLOAD_MB} MB；更大的文件请由管理员用命令行导入。")
        return upload


class ExportForm(forms.Form):
    fmt = forms.ChoiceField(label="文件格式", choices=list(FORMATS.items()), initial="xlsx", widget=forms.RadioSelect)
    region = forms.ChoiceField(label="导出范围", required=False)
    reveal = forms.BooleanField(label="显示完整身份证号", required=False)
    reason = forms.CharField(
        label="导出事由",
        max_length=200,
        error_messages={"required": "请填写导出事由（记入审计日志）。", "max_length": "导出事由不超过200字。"},
        widget=forms.TextInput(attrs={"placeholder": "如：年度复核核对名册"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ChoiceField)
        region.choices = export_region_choices_for(user=user)
        self.fields["fmt"].error_messages["invalid_choice"] = "请选择文件格式。"
        self.fields["region"].error_messages["invalid_choice"] = "请选择您管辖范围内的区域。"
        if not has_permission(user, Permission.ID_NUMBER_REVEAL):
            del self.fields["reveal"]
