"""Who may do what: the one table of rights per role.

Jurisdiction (which records) is decided by ``jiuzhu.core.scoping``; this module decides
which actions a role may take on records it can see.
"""

from __future__ import annotations

from enum import StrEnum

from jiuzhu.accounts.models import Role, User
from jiuzhu.core.errors import PermissionRefused


class Permission(StrEnum):
    REGISTRY_VIEW = "registry_view"
    REGISTRY_EDIT = "registry_edit"
    ID_NUMBER_REVEAL = "id_number_reveal"
    REGISTRY_IMPORT = "registry_import"
    REGISTRY_EXPORT = "registry_export"
    AUDIT_VIEW = "audit_view"
    USERS_MANAGE = "users_manage"
    POLICY_VIEW = "policy_view"
    POLICY_RUN = "policy_run"
    POLICY_WHATIF = "policy_whatif"
    PARAMETER_EDIT = "parameter_edit"


PERMISSION_LABELS = {
    Permission.REGISTRY_VIEW: "查看低收入人口数据库",
    Permission.REGISTRY_EDIT: "新增、修改家庭和成员",
    Permission.ID_NUMBER_REVEAL: "查看完整身份证号",
    Permission.REGISTRY_IMPORT: "批量导入",
    Permission.REGISTRY_EXPORT: "导出",
    Permission.AUDIT_VIEW: "查看审计日志",
    Permission.USERS_MANAGE: "管理用户",
    Permission.POLICY_VIEW: "查看救助政策参数和待遇测算",
    Permission.POLICY_RUN: "批量计算救助待遇",
    Permission.POLICY_WHATIF: "政策调整测算",
    Permission.PARAMETER_EDIT: "录入政策参数",
}

# Everyone who sees the database may read the policy (the packs are public documents) and each
# household's computed entitlement.
_VIEW = {Permission.REGISTRY_VIEW, Permission.POLICY_VIEW}
# Casework, shared by township officers and the county manager: keeping the data, importing and exporting it,
# and seeing full ID numbers.
_CASEWORK = {
    Permission.REGISTRY_EDIT,
    Permission.ID_NUMBER_REVEAL,
    Permission.REGISTRY_IMPORT,
    Permission.REGISTRY_EXPORT,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Village workers collect and correct data for their own village; they do not see full IDs.
    Role.VILLAGE_INFO_WORKER: frozenset(_VIEW | {Permission.REGISTRY_EDIT}),
    Role.TOWNSHIP_OFFICER: frozenset(_VIEW | _CASEWORK),
    # The reviewer decides; changing the data under review is the case worker's job.
    Role.TOWNSHIP_REVIEWER: frozenset(_VIEW | {Permission.ID_NUMBER_REVEAL, Permission.REGISTRY_EXPORT}),
    Role.COUNTY_MANAGER: frozenset(
        _VIEW | _CASEWORK | {Permission.AUDIT_VIEW, Permission.POLICY_RUN, Permission.POLICY_WHATIF}
    ),
    # Departments query the database ("凡救助必用库") but see masked IDs and export nothing.
    Role.DEPARTMENT_USER: frozenset(_VIEW),
    Role.SUPERVISOR: frozenset(_VIEW | {Permission.AUDIT_VIEW, Permission.REGISTRY_EXPORT, Permission.POLICY_WHATIF}),
    # Administrators run accounts, not cases: separation of duties keeps IDs masked for them.
    Role.SYSTEM_ADMIN: frozenset(_VIEW | {Permission.USERS_MANAGE, Permission.AUDIT_VIEW, Permission.PARAMETER_EDIT}),
}


def has_permission(user: User, permission: Permission) -> bool:
    """True when the user's role carries ``permission`` (an inactive or anonymous user has none)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.role:
        return False
    return permission in ROLE_PERMISSIONS.get(Role(user.role), frozenset())


def require(user: User, permission: Permission) -> None:
    """Raise ``PermissionRefused`` with a Chinese message unless the user has ``permission``."""
    if not has_permission(user, permission):
        raise PermissionRefused(f"您的角色没有“{PERMISSION_LABELS[permission]}”权限。")
