"""POST /api/v1/policy/compute: the case JSON in, the same object as ``jiuzhu policy compute --json`` out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from jiuzhu.accounts.models import Role
from jiuzhu.api import api
from jiuzhu.cli import main
from jiuzhu.core.testing import factories
from jiuzhu.policy.schemas import CASE_EXAMPLE, CASE_SCHEMA
from jiuzhu.rules.case import case_from_dict

pytestmark = pytest.mark.django_db

URL = "/api/v1/policy/compute"
HERE = Path(__file__).resolve().parent
CONTRACT_EXAMPLE = HERE / "contract_example.json"  # the input example of case-format.md, verbatim
BAD_CASES = HERE.parents[1] / "rules" / "tests" / "bad_cases"
BAD_INDEX: dict[str, dict[str, str]] = yaml.safe_load((BAD_CASES / "index.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def headers(client: Client) -> dict[str, str]:
    """A bearer token of the least-privileged role: any signed-in user may compute."""
    user = factories.make_user(Role.VILLAGE_INFO_WORKER)
    response = client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": factories.PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"Authorization": f"Bearer {response.json()['token']}"}


def post(client: Client, headers: dict[str, str], body: str | bytes) -> Any:
    return client.post(URL, body, content_type="application/json", headers=headers)


def cli_json(path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    status = main(["policy", "compute", str(path), "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out)


def test_contract_example_answers_what_the_console_script_prints(client: Client, headers: dict[str, str]) -> None:
    response = post(client, headers, CONTRACT_EXAMPLE.read_bytes())
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    console = Path(sys.executable).with_name("jiuzhu")
    done = subprocess.run(
        [str(console), "policy", "compute", str(CONTRACT_EXAMPLE), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert response.json() == json.loads(done.stdout)
    body = response.json()
    assert body["region"] == "140702"
    assert body["as_of"] == "2025-06-30"
    assert set(body["results"]) == {"dibao", "tekun"}  # the body's programmes count
    for result in body["results"].values():
        assert {"eligible", "missing", "reasons", "amount_month"} <= set(result)


def test_programmes_and_as_of_come_from_the_body(
    client: Client, headers: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(CONTRACT_EXAMPLE.read_text(encoding="utf-8"))
    data["programmes"], data["as_of"] = ["dibao"], "2024-03-31"
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    response = post(client, headers, path.read_bytes())
    assert response.status_code == 200
    assert response.json() == cli_json(path, capsys)
    assert list(response.json()["results"]) == ["dibao"]
    assert response.json()["as_of"] == "2024-03-31"


def test_query_parameters_are_not_overrides(client: Client, headers: dict[str, str]) -> None:
    response = client.post(
        URL + "?as_of=2020-01-01&programme=tekun",
        CONTRACT_EXAMPLE.read_bytes(),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json()["as_of"] == "2025-06-30"
    assert set(response.json()["results"]) == {"dibao", "tekun"}


def test_numbers_are_read_as_decimal(client: Client, headers: dict[str, str]) -> None:
    """0.1 + 0.2 + 1.005 a month (JSON numbers): 15.66 a year, 1.305 → 1.31 per month; floats give 1.30."""
    # Written as text: Python's json.dumps would print the float 800.10 as 800.1.
    case = """{"region": "140702", "as_of": "2025-06-30", "area": "urban", "programmes": ["dibao"],
      "parameters": {"dibao.standard.urban": {"value": 800.10, "unit": "元/人·月"}},
      "household": {
        "members": [{"id": "m1", "relation": "head",
                     "incomes": [{"type": "wage", "amount": 1.005, "period": "month"}]}],
        "incomes": [{"type": "business", "amount": 0.1, "period": "month"},
                    {"type": "business", "amount": 0.2, "period": "month"}],
        "assets": {"deposits": "0", "vehicles": [], "houses": 0}}}"""
    response = post(client, headers, case.encode())
    assert response.status_code == 200, response.content
    dibao = response.json()["results"]["dibao"]
    assert dibao["standard_month"] == "800.10"
    assert dibao["per_capita_income_month"] == "1.31"
    assert dibao["gap_month"] == "798.80"  # 800.10 - 1.305 = 798.795, half up
    gross = next(row for row in response.json()["trace"] if row["step"] == "income.gross_annual")
    assert gross["value"] == "15.66"
    overlaid = next(p for row in response.json()["trace"] for p in row["parameters"] if p["overlaid"])
    assert overlaid["value"] == "800.10"  # as written, trailing zero kept: never a float


@pytest.mark.parametrize("name", sorted(BAD_INDEX))
def test_bad_case_is_422_with_the_cli_message(
    client: Client, headers: dict[str, str], capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = BAD_CASES / name
    response = post(client, headers, path.read_bytes())
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid_case"
    assert main(["policy", "compute", str(path), "--json"]) == 2
    printed = capsys.readouterr().err
    assert printed == f"错误：{path}：{body['detail']}\n"  # the same Chinese message, after the file name
    expected = BAD_INDEX[name]
    if "key" in expected:
        assert f"“{expected['key']}”" in body["detail"]
    if "contains" in expected:
        assert expected["contains"] in body["detail"]
    assert "Traceback" not in response.content.decode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "不是有效的 JSON"),
        (b"\xff\xfe{}", "不是 UTF-8 编码的文本"),
        (b"null", "案件应为对象"),
        (b"[" * 50_000 + b"]" * 50_000, "嵌套层数过多"),
        ('{"region": "140702", "as_of": "2025-06-30", "household": {"members": [{"sex": "男"}]}}'.encode(), "“男”"),
    ],
)
def test_malformed_bodies_are_422(client: Client, headers: dict[str, str], body: bytes, expected: str) -> None:
    response = post(client, headers, body)
    assert response.status_code == 422
    assert expected in response.json()["detail"]


def test_form_encoded_body_is_not_a_case(client: Client, headers: dict[str, str]) -> None:
    response = client.post(URL, {"region": "140702"}, headers=headers)
    assert response.status_code == 422
    assert "不是有效的 JSON" in response.json()["detail"]


def test_without_a_token_is_401(client: Client) -> None:
    response = client.post(URL, CONTRACT_EXAMPLE.read_bytes(), content_type="application/json")
    assert response.status_code == 401
    assert "未认证" in response.json()["detail"]
    bad = client.post(
        URL, CONTRACT_EXAMPLE.read_bytes(), content_type="application/json", headers={"Authorization": "Bearer nope"}
    )
    assert bad.status_code == 401


def test_every_role_may_compute(client: Client) -> None:
    for role in Role:
        user = factories.make_user(role)
        token = client.post(
            "/api/v1/auth/token",
            {"username": user.username, "password": factories.PASSWORD},
            content_type="application/json",
        ).json()["token"]
        response = post(client, {"Authorization": f"Bearer {token}"}, CONTRACT_EXAMPLE.read_bytes())
        assert response.status_code == 200, role


def test_openapi_documents_the_route_with_examples(client: Client, headers: dict[str, str]) -> None:
    operation = api.get_openapi_schema()["paths"][URL]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    assert body["example"] == CASE_EXAMPLE
    assert body["schema"]["required"] == ["region", "as_of", "household"]
    assert operation["parameters"] == []  # no query overrides: the body's as_of/programmes count
    assert {"200", "401", "422"} <= {str(status) for status in operation["responses"]}
    assert "example" in operation["responses"][200]["content"]["application/json"]
    assert "example" in operation["responses"][422]["content"]["application/json"]
    response = post(client, headers, json.dumps(CASE_EXAMPLE, ensure_ascii=False))
    assert response.status_code == 200, response.content  # the documented example is a valid case


def _schema_paths(schema: dict[str, Any], prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(schema.get("additionalProperties"), dict):
        paths.add(prefix + ".*")
        paths |= _schema_paths(schema["additionalProperties"], prefix + ".*")
    for name, sub in schema.get("properties", {}).items():
        paths.add(prefix + "." + name)
        paths |= _schema_paths(sub, prefix + "." + name)
    if "items" in schema and isinstance(schema["items"], dict):
        paths |= _schema_paths(schema["items"], prefix + "[]")
    return paths


def _value_paths(value: Any, prefix: str = "", free: frozenset[str] = frozenset({".parameters"})) -> set[str]:
    paths: set[str] = set()
    if isinstance(value, dict):
        for name, sub in value.items():
            path = prefix + (".*" if prefix in free else "." + name)
            paths.add(path)
            paths |= _value_paths(sub, path, free)
    elif isinstance(value, list):
        for item in value:
            paths |= _value_paths(item, prefix + "[]", free)
    return paths


FULL_CASE: dict[str, Any] = {
    "region": "140702001001",
    "as_of": "2025-06-30",
    "area": "rural",
    "programmes": ["dibao"],
    "parameters": {"money.rounding": {"value": "yuan_up", "unit": "规则"}},
    "household": {
        "members": [
            {
                "id": "a",
                "name": "王五",
                "id_number": "140702196005011235",
                "birth_date": "1960-05-01",
                "sex": "female",
                "relation": "head",
                "hukou": "rural",
                "in_household": True,
                "labour_capacity": "none",
                "self_care": "partial",
                "care_setting": "institutional",
                "disability": {"type": "mental", "grade": 1},
                "serious_illness": True,
                "student": "college",
                "incomes": [{"type": "pension", "amount": "100", "period": "month", "note": "退休金"}],
            }
        ],
        "incomes": [{"type": "reward", "amount": "500", "period": "year", "note": "见义勇为奖金"}],
        "expenses": [{"type": "education", "amount": "5000", "period": "once", "note": "学费"}],
        "assets": {
            "deposits": "0",
            "vehicles": [{"type": "car", "value": "30000", "purpose": "livelihood"}],
            "houses": 0,
        },
        "obligors": [
            {
                "name": "王六",
                "relation": "son",
                "annual_income": "1",
                "household_size": 2,
                "age": 40,
                "status": "dibao",
                "severe_disability": False,
                "incapacitated": False,
            }
        ],
        "emergency": {"kind": "expense", "loss": "0", "expenses": "20000", "date": "2025-06-01"},
    },
}


def test_request_schema_names_exactly_the_keys_the_parser_takes() -> None:
    """FULL_CASE uses every documented key; the parser accepts it (and refuses any other key)."""
    assert _value_paths(FULL_CASE) == _schema_paths(CASE_SCHEMA)
    case_from_dict(FULL_CASE)
