"""The catalogues over HTTP: departments, and categories with the words callers use for them."""

from __future__ import annotations

from tests.api.support import Api, problem


def test_categories_carry_the_callers_words_for_each_sub_category(api: Api) -> None:
    rows = api.call("GET", "/api/categories", "worker-gw").json()
    by_code = {row["code"]: row for row in rows}
    assert "井盖没了" in by_code["C0101"]["keywords"]
    assert by_code["E01"]["keywords"] == []  # a top-level category is not filed under
    assert {by_code["E01"]["kind"], by_code["C03"]["kind"]} == {"event", "component"}
    assert by_code["E01"]["name"] == by_code["C03"]["name"] == "市容环境"


def test_departments_of_one_district(api: Api) -> None:
    rows = api.call("GET", "/api/departments?district_code=110102", "gw").json()
    assert rows and {row["district_code"] for row in rows} == {"110102"}


def test_the_catalogues_need_a_login(api: Api) -> None:
    problem(api.call("GET", "/api/categories", None), 401, "authorization")
    problem(api.call("GET", "/api/departments", None), 401, "authorization")
