from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client, override_settings

from jiuzhu.accounts.models import Role, User
from jiuzhu.core.testing import factories

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_login(client: Client) -> None:
    response = client.get("/registry/households/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_is_chinese_and_has_csrf(client: Client) -> None:
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="zh-CN"' in html
    assert "csrfmiddlewaretoken" in html
    assert "Content-Security-Policy" in response.headers


def test_home_shows_role_and_region(client: Client, county_manager: User) -> None:
    client.force_login(county_manager)
    html = client.get("/").content.decode()
    assert "县级管理" in html
    assert "榆次区" in html


def test_lockout_after_five_failures(client: Client, township_officer: User) -> None:
    # given five wrong passwords
    for _ in range(5):
        client.post(
            "/accounts/login/", {"username": township_officer.username, "password": "wrong"}, REMOTE_ADDR="10.0.0.9"
        )
    # when the right password follows
    response = client.post(
        "/accounts/login/",
        {"username": township_officer.username, "password": factories.PASSWORD},
        REMOTE_ADDR="10.0.0.9",
    )
    # then the account is locked, in Chinese
    assert response.status_code == 429
    assert "账户已被锁定" in response.content.decode()


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"])
def test_passwords_are_hashed_with_argon2(db: None) -> None:
    user = factories.make_user(Role.SUPERVISOR)
    user.set_password("another-long-password")
    user.save()
    assert identify_hasher(User.objects.get(pk=user.pk).password).algorithm == "argon2"
