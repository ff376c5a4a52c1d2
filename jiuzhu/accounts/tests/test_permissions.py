"""The rights table, written out as docs/architecture.md shows it, so a change to it is deliberate."""

from __future__ import annotations

from jiuzhu.accounts.models import Role
from jiuzhu.accounts.permissions import ROLE_PERMISSIONS, Permission

P, RUN, W, PE = Permission.POLICY_VIEW, Permission.POLICY_RUN, Permission.POLICY_WHATIF, Permission.PARAMETER_EDIT
V, E, R, IMP, X, A, U = (
    Permission.REGISTRY_VIEW,
    Permission.REGISTRY_EDIT,
    Permission.ID_NUMBER_REVEAL,
    Permission.REGISTRY_IMPORT,
    Permission.REGISTRY_EXPORT,
    Permission.AUDIT_VIEW,
    Permission.USERS_MANAGE,
)

DOCUMENTED = {
    Role.VILLAGE_INFO_WORKER: {V, P, E},
    Role.TOWNSHIP_OFFICER: {V, P, E, R, IMP, X},
    Role.TOWNSHIP_REVIEWER: {V, P, R, X},
    Role.COUNTY_MANAGER: {V, P, E, R, IMP, X, A, RUN, W},
    Role.DEPARTMENT_USER: {V, P},
    Role.SUPERVISOR: {V, P, X, A, W},
    Role.SYSTEM_ADMIN: {V, P, A, U, PE},
}


def test_role_rights_match_the_documented_table() -> None:
    assert {role: set(rights) for role, rights in ROLE_PERMISSIONS.items()} == DOCUMENTED


def test_no_role_but_case_workers_sees_full_id_numbers() -> None:
    revealing = {role for role, rights in ROLE_PERMISSIONS.items() if Permission.ID_NUMBER_REVEAL in rights}
    assert revealing == {Role.TOWNSHIP_OFFICER, Role.TOWNSHIP_REVIEWER, Role.COUNTY_MANAGER}
