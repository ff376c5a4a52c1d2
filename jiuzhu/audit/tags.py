"""Audit tags, ``subject:action``."""

from __future__ import annotations

from enum import StrEnum


class AuditTag(StrEnum):
    LOGIN = "user:login"
    LOGIN_FAILED = "user:login_failed"
    TOKEN_ISSUE = "user:token_issue"  # noqa: S105 - an event name, not a secret
    ID_NUMBER_REVEAL = "person:id_number_reveal"
    HOUSEHOLD_CREATE = "household:create"
    HOUSEHOLD_UPDATE = "household:update"
    PERSON_CREATE = "person:create"
    PERSON_UPDATE = "person:update"
    MEMBERSHIP_END = "membership:end"
    ENROLLMENT_START = "enrollment:start"
    ENROLLMENT_END = "enrollment:end"
    ENROLLMENT_PHASE_OUT_START = "enrollment:phase_out_start"
    ENROLLMENT_PHASE_OUT_CANCEL = "enrollment:phase_out_cancel"
    REGISTRY_IMPORT = "registry:import"
    REGISTRY_EXPORT = "registry:export"
    DEMO_GENERATE = "demo:generate"
    POLICY_BATCH_RUN = "policy:batch_run"
    POLICY_WHATIF = "policy:whatif"
    PARAMETER_RECORD = "policy:parameter_record"


AUDIT_TAG_LABELS = {
    AuditTag.LOGIN: "登录",
    AuditTag.LOGIN_FAILED: "登录失败",
    AuditTag.TOKEN_ISSUE: "签发接口令牌",
    AuditTag.ID_NUMBER_REVEAL: "查看完整身份证号",
    AuditTag.HOUSEHOLD_CREATE: "新增家庭",
    AuditTag.HOUSEHOLD_UPDATE: "修改家庭",
    AuditTag.PERSON_CREATE: "新增成员",
    AuditTag.PERSON_UPDATE: "修改成员",
    AuditTag.MEMBERSHIP_END: "成员迁出",
    AuditTag.ENROLLMENT_START: "纳入类别",
    AuditTag.ENROLLMENT_END: "退出类别",
    AuditTag.ENROLLMENT_PHASE_OUT_START: "登记渐退",
    AuditTag.ENROLLMENT_PHASE_OUT_CANCEL: "撤销渐退",
    AuditTag.REGISTRY_IMPORT: "批量导入",
    AuditTag.REGISTRY_EXPORT: "导出",
    AuditTag.DEMO_GENERATE: "生成演示数据",
    AuditTag.POLICY_BATCH_RUN: "批量计算救助待遇",
    AuditTag.POLICY_WHATIF: "政策调整测算",
    AuditTag.PARAMETER_RECORD: "录入政策参数",
}
