"""POST /api/v1/auth/token and bearer authentication on the other routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jiuzhu.accounts.models import ApiToken, Role, User
from jiuzhu.accounts.services import system_user, token_digest
from jiuzhu.audit.models import AuditEvent
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core.testing import factories

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"
HOUSEHOLDS = "/api/v1/households"
UNAUTHENTICATED = "未认证或令牌已过期，请先通过 /api/v1/auth/token 获取令牌。"


def ask_token(client: Client, username: str, password: str, address: str = "10.0.0.7") -> Any:
    return client.post(
        TOKEN, {"username": username, "password": password}, content_type="application/json", REMOTE_ADDR=address
    )


def households_with(client: Client, authorization: str) -> Any:
    return client.get(HOUSEHOLDS, headers={"Authorization": authorization})


def test_the_right_password_gives_a_token_that_opens_the_api(client: Client, township_officer: User) -> None:
    response = ask_token(client, township_officer.username, factories.PASSWORD)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = response.json()["token"]
    assert len(token) >= 40
    assert households_with(client, f"Bearer {token}").status_code == 200


def test_only_a_digest_of_the_token_is_stored_and_the_issue_is_audited(client: Client, township_officer: User) -> None:
    token = ask_token(client, township_officer.username, factories.PASSWORD).json()["token"]
    stored = ApiToken.objects.get(user=township_officer)
    assert stored.digest == token_digest(token) != token
    hours = (stored.expires_at - timezone.now()).total_seconds() / 3600
    assert 11.9 < hours <= 12
    event = AuditEvent.objects.get(tag=AuditTag.TOKEN_ISSUE)
    assert (event.actor_id, event.channel, event.ip_address) == (township_officer.pk, "api", "10.0.0.7")


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("known", "wrong-password"),
        ("nobody", factories.PASSWORD),
    ],
    ids=["密码错误", "用户不存在"],
)
def test_bad_credentials_are_a_401_in_chinese(
    client: Client, township_officer: User, username: str, password: str
) -> None:
    name = township_officer.username if username == "known" else username
    response = ask_token(client, name, password)
    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误，或账户已被锁定。", "code": "bad_credentials"}
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token(client: Client, township_officer: User) -> None:
    township_officer.is_active = False
    township_officer.save(update_fields=["is_active"])
    assert ask_token(client, township_officer.username, factories.PASSWORD).status_code == 401


def test_the_system_account_gets_no_token(client: Client) -> None:
    account = system_user()
    account.set_password(factories.PASSWORD)  # even were a password set on it
    account.save()
    assert ask_token(client, account.username, factories.PASSWORD).status_code == 401
    assert not ApiToken.objects.exists()


def test_a_missing_password_is_a_422_in_chinese(client: Client) -> None:
    response = client.post(TOKEN, {"username": "someone"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == "请求参数有误：credentials.password: 必须填写"


def test_after_five_failures_the_right_password_is_refused_too(client: Client, township_officer: User) -> None:
    # given four failures, each a plain 401
    for _ in range(4):
        assert ask_token(client, township_officer.username, "wrong-password").status_code == 401
    # when the fifth fails, the account locks (JSON, in Chinese, with when to retry)
    fifth = ask_token(client, township_officer.username, "wrong-password")
    assert fifth.status_code == 429
    assert fifth["Content-Type"].startswith("application/json")
    assert fifth.json() == {
        "detail": "密码错误次数过多，账户已被锁定。请30分钟后再试，或联系系统管理员解锁。",
        "code": "locked_out",
    }
    assert fifth["Retry-After"] == "1800"
    # then the right password gets no token either
    right = ask_token(client, township_officer.username, factories.PASSWORD)
    assert right.status_code == 429
    assert "token" not in right.json()
    assert not ApiToken.objects.exists()


def test_the_lockout_also_closes_the_web_login(client: Client, township_officer: User) -> None:
    for _ in range(5):
        ask_token(client, township_officer.username, "wrong-password")
    response = client.post(
        "/accounts/login/",
        {"username": township_officer.username, "password": factories.PASSWORD},
        REMOTE_ADDR="10.0.0.7",
    )
    assert response.status_code == 429


def test_the_lockout_is_per_username_and_address(client: Client, township_officer: User) -> None:
    # Lockout parameters are (username, ip_address): another address is not locked out.
    for _ in range(5):
        ask_token(client, township_officer.username, "wrong-password", address="10.0.0.7")
    assert ask_token(client, township_officer.username, factories.PASSWORD, address="10.0.0.8").status_code == 200


def test_a_success_before_the_limit_resets_the_failure_count(client: Client, township_officer: User) -> None:
    for _ in range(4):
        ask_token(client, township_officer.username, "wrong-password")
    assert ask_token(client, township_officer.username, factories.PASSWORD).status_code == 200
    for _ in range(4):
        assert ask_token(client, township_officer.username, "wrong-password").status_code == 401
    assert ask_token(client, township_officer.username, factories.PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer not-a-token-we-issued",
        "Token abc",
        "Bearer ",
    ],
    ids=["无认证头", "未知令牌", "非Bearer方案", "空令牌"],
)
def test_requests_without_a_valid_token_are_a_401_in_chinese(client: Client, authorization: str) -> None:
    response = households_with(client, authorization)
    assert response.status_code == 401
    assert response.json()["detail"] == UNAUTHENTICATED


def test_an_expired_token_is_a_401(client: Client, township_officer: User) -> None:
    token = ask_token(client, township_officer.username, factories.PASSWORD).json()["token"]
    ApiToken.objects.filter(user=township_officer).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = households_with(client, f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["detail"] == UNAUTHENTICATED


def test_a_token_stops_working_when_its_user_is_deactivated(client: Client, township_officer: User) -> None:
    token = ask_token(client, township_officer.username, factories.PASSWORD).json()["token"]
    assert households_with(client, f"Bearer {token}").status_code == 200
    User.objects.filter(pk=township_officer.pk).update(is_active=False)
    assert households_with(client, f"Bearer {token}").status_code == 401


def test_a_session_cookie_does_not_open_the_api(client: Client, county_manager: User) -> None:
    client.force_login(county_manager)
    assert client.get(HOUSEHOLDS).status_code == 401


def test_a_token_speaks_for_its_own_user_only(client: Client) -> None:
    village = factories.make_user(Role.VILLAGE_INFO_WORKER)
    factories.make_household(factories.VILLAGE_B1)
    token = ask_token(client, village.username, factories.PASSWORD).json()["token"]
    assert households_with(client, f"Bearer {token}").json()["count"] == 0
