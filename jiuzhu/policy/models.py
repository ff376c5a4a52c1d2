"""Batch runs of the rules engine over the registry, and their per-household results."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class BatchRun(models.Model):
    """One evaluation of every household of a region as of a date (``jiuzhu policy run``).

    A region and date have at most one run: running again replaces it (and its results) in one
    transaction, so figures never double.
    """

    region_code = models.CharField("区划代码", max_length=12)
    as_of = models.DateField("计算日期")
    engine = models.CharField("计算引擎", max_length=10)
    parameters_fingerprint = models.CharField("参数指纹", max_length=80)
    input_hash = models.CharField("输入数据指纹", max_length=80)
    generated_sql = models.TextField("生成的查询语句")
    households = models.IntegerField("家庭户数")
    counts = models.JSONField("各项目认定户数", default=dict)  # {programme: {"true": n, "false": n, "null": n}}
    totals = models.JSONField("各项目月金额合计", default=dict)  # {programme: "123.45"}
    rechecked = models.IntegerField("逐户复核户数", default=0)
    duration_seconds = models.DecimalField("用时（秒）", max_digits=10, decimal_places=2)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "批量计算"
        verbose_name_plural = "批量计算"
        constraints = [models.UniqueConstraint(fields=["region_code", "as_of"], name="batch_run_one_per_region_date")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.as_of} {self.engine}"


class BatchResult(models.Model):
    """One household × programme of a batch run (what ``--out`` writes, without anything run-specific)."""

    run = models.ForeignKey(BatchRun, on_delete=models.CASCADE, related_name="results")
    household_id = models.BigIntegerField("家庭")
    programme = models.CharField("救助项目", max_length=30)
    eligible = models.BooleanField("是否符合", null=True)
    amount_month = models.DecimalField("月金额", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "批量计算结果"
        verbose_name_plural = "批量计算结果"
        indexes = [models.Index(fields=["household_id", "programme"])]

    def __str__(self) -> str:
        return f"{self.household_id} {self.programme}"


class ParameterRecord(models.Model):
    """A parameter value entered by an administrator: dated, sourced, layered over the YAML packs.

    Never edited: a change of policy is a new record from its effective date (with its 文号); a mistake
    is corrected by a record that ends the wrong one. Each record is audited.
    """

    region_code = models.CharField("区划代码", max_length=6)
    name = models.CharField("参数名", max_length=80)
    value = models.JSONField("取值")  # as the YAML writes it: a string number, a rule word, a list, a flag
    unit = models.CharField("单位", max_length=20)
    effective = models.DateField("生效日期")
    end = models.DateField("截止日期", null=True, blank=True)
    source = models.CharField("文号或来源", max_length=200)
    article = models.CharField("条款", max_length=200, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "政策参数记录"
        verbose_name_plural = "政策参数记录"
        indexes = [models.Index(fields=["region_code", "name"])]

    def __str__(self) -> str:
        return f"{self.region_code} {self.name} {self.value}{self.unit} 自{self.effective}"
