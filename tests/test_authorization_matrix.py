"""The authorization matrix: every page and API route × every role × inside/outside the jurisdiction.

Outside the jurisdiction a record is a 404 (as if missing); inside it, a role without the right
gets a 403; otherwise the route answers. The route tables below must name every URL the project
serves: a new route that is not classified here fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from jiuzhu.accounts.models import Role, User
from jiuzhu.accounts.permissions import Permission, has_permission
from jiuzhu.api import api
from jiuzhu.core.testing import factories
from jiuzhu.policy.schemas import CASE_EXAMPLE
from jiuzhu.registry.models import CategoryEnrollment, Household, Membership

pytestmark = pytest.mark.django_db

ROLES = list(Role)


@dataclass(frozen=True)
class Route:
    name: str
    path: str  # with {household}, {person}, {membership}, {enrollment} placeholders
    permission: Permission | None  # None: any signed-in user
    method: str = "GET"
    scoped: bool = True  # names a record, so outside the jurisdiction is 404
    body: str = json.dumps({"reason": "核对身份"})  # what a POST sends


PAGES = [
    Route("home", "/", None, scoped=False),
    Route("audit_list", "/audit/", Permission.AUDIT_VIEW, scoped=False),
    Route("household_list", "/registry/households/", Permission.REGISTRY_VIEW, scoped=False),
    Route("household_create", "/registry/households/new/", Permission.REGISTRY_EDIT, scoped=False),
    Route("household_detail", "/registry/households/{household}/", Permission.REGISTRY_VIEW),
    Route("household_edit", "/registry/households/{household}/edit/", Permission.REGISTRY_EDIT),
    Route("member_add", "/registry/households/{household}/members/new/", Permission.REGISTRY_EDIT),
    Route("enrollment_start", "/registry/households/{household}/enrollments/new/", Permission.REGISTRY_EDIT),
    Route("person_edit", "/registry/persons/{person}/edit/", Permission.REGISTRY_EDIT),
    Route("person_reveal", "/registry/persons/{person}/reveal/", Permission.ID_NUMBER_REVEAL),
    Route("membership_end", "/registry/memberships/{membership}/end/", Permission.REGISTRY_EDIT),
    Route("enrollment_end", "/registry/enrollments/{enrollment}/end/", Permission.REGISTRY_EDIT),
    Route("enrollment_phase_out", "/registry/enrollments/{enrollment}/phase-out/", Permission.REGISTRY_EDIT),
    Route(
        "enrollment_phase_out_cancel", "/registry/enrollments/{enrollment}/phase-out/cancel/", Permission.REGISTRY_EDIT
    ),
    Route("import_households", "/exchange/import/households/", Permission.REGISTRY_IMPORT, scoped=False),
    Route("export_households", "/exchange/export/households/", Permission.REGISTRY_EXPORT, scoped=False),
    Route("policy_packs", "/policy/", Permission.POLICY_VIEW, scoped=False),
    Route("policy_pack", "/policy/packs/000000/", Permission.POLICY_VIEW, scoped=False),
    Route("policy_compare", "/policy/compare/", Permission.POLICY_VIEW, scoped=False),
    Route("policy_record_create", "/policy/records/new/", Permission.PARAMETER_EDIT, scoped=False),
    Route("policy_runs", "/policy/runs/", Permission.POLICY_VIEW, scoped=False),
    Route("policy_whatif", "/policy/whatif/", Permission.POLICY_WHATIF, scoped=False),
    Route("policy_entitlement", "/policy/households/{household}/", Permission.POLICY_VIEW),
    Route("policy_entitlement_pdf", "/policy/households/{household}/pdf/", Permission.POLICY_VIEW),
]
# Routes outside the matrix, with the reason.
UNSCOPED_PAGES = {
    "login": "public: the sign-in form",
    "logout": "ends the caller's own session",
    "import_households_template": "an empty template; tested in jiuzhu/exchange/tests (edit or import right)",
    None: "healthz and favicon: no data",
}
API = [
    Route("GET /households", "/api/v1/households", Permission.REGISTRY_VIEW, scoped=False),
    Route("GET /households/{household_id}", "/api/v1/households/{household}", Permission.REGISTRY_VIEW),
    Route("GET /persons/{person_id}", "/api/v1/persons/{person}", Permission.REGISTRY_VIEW),
    Route(
        "POST /persons/{person_id}/id-number/reveal",
        "/api/v1/persons/{person}/id-number/reveal",
        Permission.ID_NUMBER_REVEAL,
        method="POST",
    ),
    # Computes a case sent in the body; reads no registry data, so any signed-in role may call it.
    Route(
        "POST /policy/compute",
        "/api/v1/policy/compute",
        None,
        method="POST",
        scoped=False,
        body=json.dumps(CASE_EXAMPLE, ensure_ascii=False),
    ),
]
UNSCOPED_API = {"POST /auth/token": "public: exchanges a password for a token (lockout tested separately)"}


@dataclass
class Records:
    household: Household
    membership: Membership
    enrollment: CategoryEnrollment

    def fill(self, path: str) -> str:
        return path.format(
            household=self.household.pk,
            person=self.membership.person_id,
            membership=self.membership.pk,
            enrollment=self.enrollment.pk,
        )


def _records(village: str) -> Records:
    household = factories.make_household(village, members=2)
    membership = Membership.objects.filter(household=household, relation="spouse").get()
    enrollment = CategoryEnrollment.objects.create(
        household=household, category="dibao", valid_from=dt.date(2025, 1, 1)
    )
    return Records(household, membership, enrollment)


@pytest.fixture
def world(db: None) -> dict[str, Records]:
    """Records in the villages that are inside or outside each role's region."""
    return {
        "own_village": _records(factories.VILLAGE_A1),
        "other_village": _records(factories.VILLAGE_A2),
        "other_township": _records(factories.VILLAGE_B1),
        "other_county": _records(factories.OTHER_COUNTY_VILLAGE),
    }


def _inside(role: Role, place: str) -> bool:
    if place == "own_village":
        return True
    if place == "other_county":
        return False
    if role == Role.VILLAGE_INFO_WORKER:
        return False
    if role in (Role.TOWNSHIP_OFFICER, Role.TOWNSHIP_REVIEWER):
        return place == "other_village"
    return True


def _expected(route: Route, user: User, place: str) -> int:
    if route.scoped and not _inside(Role(user.role), place):
        return 404
    if route.permission is not None and not has_permission(user, route.permission):
        return 403
    return 200


PLACES = ["own_village", "other_village", "other_township", "other_county"]


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
@pytest.mark.parametrize("route", PAGES, ids=[r.name for r in PAGES])
def test_page_matrix(client: Client, world: dict[str, Records], route: Route, role: Role) -> None:
    user = factories.make_user(role)
    client.force_login(user)
    for place in PLACES if route.scoped else ["own_village"]:
        path = world[place].fill(route.path)
        response = client.get(path)
        assert response.status_code == _expected(route, user, place), f"{role.label} {place} {path}"


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
@pytest.mark.parametrize("route", API, ids=[r.name for r in API])
def test_api_matrix(client: Client, world: dict[str, Records], route: Route, role: Role) -> None:
    user = factories.make_user(role)
    token = client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": factories.PASSWORD},
        content_type="application/json",
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for place in PLACES if route.scoped else ["own_village"]:
        path = world[place].fill(route.path)
        if route.method == "POST":
            response = client.post(path, route.body, content_type="application/json", headers=headers)
        else:
            response = client.get(path, headers=headers)
        assert response.status_code == _expected(route, user, place), f"{role.label} {place} {path}"


def test_reveal_post_follows_the_matrix(client: Client, world: dict[str, Records]) -> None:
    for role in ROLES:
        user = factories.make_user(role)
        client.force_login(user)
        for place in PLACES:
            path = world[place].fill("/registry/persons/{person}/reveal/")
            response = client.post(path, {"reason": "核对身份"})
            expected = _expected(Route("reveal", path, Permission.ID_NUMBER_REVEAL), user, place)
            assert response.status_code == expected, f"{role.label} {place}"


def test_phase_out_posts_follow_the_matrix(client: Client, world: dict[str, Records]) -> None:
    """Recording a 渐退 (an empty form: refused on the form, nothing written) and cancelling one (none recorded:
    refused by the service, 400) are reached only inside the jurisdiction with the edit right."""
    answers_when_allowed = {
        "/registry/enrollments/{enrollment}/phase-out/": 200,
        "/registry/enrollments/{enrollment}/phase-out/cancel/": 400,
    }
    for role in ROLES:
        user = factories.make_user(role)
        client.force_login(user)
        for place in PLACES:
            for template, allowed in answers_when_allowed.items():
                path = world[place].fill(template)
                expected = _expected(Route("phase_out", path, Permission.REGISTRY_EDIT), user, place)
                response = client.post(path, {})
                assert response.status_code == (allowed if expected == 200 else expected), f"{role.label} {place}"
    assert not CategoryEnrollment.objects.exclude(phase_out_reason="").exists()


def test_api_without_a_token_is_401(client: Client, world: dict[str, Records]) -> None:
    for route in API:
        path = world["own_village"].fill(route.path)
        response = (
            client.post(path, "{}", content_type="application/json") if route.method == "POST" else client.get(path)
        )
        assert response.status_code == 401, path


def _named_routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str | None]:
    names: list[str | None] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("api/"):
                continue
            names += _named_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            names.append(pattern.name)
    return names


def test_every_route_is_in_the_matrix() -> None:
    pages = set(_named_routes(get_resolver().url_patterns))
    covered = {route.name for route in PAGES} | set(UNSCOPED_PAGES)
    assert pages <= covered, f"unclassified pages: {sorted(str(p) for p in pages - covered)}"
    schema = api.get_openapi_schema()
    operations = {
        f"{method.upper()} {path.removeprefix('/api/v1')}" for path, item in schema["paths"].items() for method in item
    }
    covered_api = {route.name for route in API} | set(UNSCOPED_API)
    assert operations <= covered_api, f"unclassified API routes: {sorted(operations - covered_api)}"
