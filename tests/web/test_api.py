"""The JSON API of SPEC §9: the CLI's shapes, the statuses its exit codes map to, If-Match,
the documents, and the OpenAPI description."""

from __future__ import annotations

import io

import pytest

from tests.web.conftest import csrf

SIGN_FOR = {"leader": "王局长", "handler": "李科长"}


@pytest.fixture
def li_api(browser):
    client = browser("li")
    client.headers["X-CSRF-Token"] = csrf(client)
    return client


def test_health_needs_no_sign_in(anonymous):
    assert anonymous.get("/healthz").json() == {"ok": True}


def test_me_names_the_caller_and_gives_a_cookie_session_its_csrf_token(browser):
    me = browser("li").get("/api/me").json()
    assert {key: me[key] for key in ("id", "name", "roles", "unit")} == {"id": "li", "name": "李华", "roles": ["unit"],
                                                                         "unit": "zjj"}
    assert len(me["csrf_token"]) >= 32


def test_firing_answers_as_fire_json(li_api, suggestions):
    version = li_api.get("/api/items/16-1-001").json()["version"]
    fired = li_api.post("/api/items/16-1-001/events/sign_for", json={"data": SIGN_FOR},
                        headers={"If-Match": f'"{version}"'})
    assert fired.status_code == 200
    body = fired.json()
    assert {key: body[key] for key in ("ref", "event", "from", "to", "version")} == {
        "ref": "16-1-001", "event": "sign_for", "from": "assigned", "to": "handling", "version": version + 1}
    assert len(body["hash"]) == 64 and body["seq"] >= 1


def test_a_stale_if_match_is_412_and_nothing_is_applied(li_api, runtime, suggestions):
    version = li_api.get("/api/items/16-1-001").json()["version"]
    runtime.fire("16-1-001", "contact", "zhao", {"method": "phone"})
    stale = li_api.post("/api/items/16-1-001/events/contact", json={"data": {"method": "visit"}},
                        headers={"If-Match": f'"{version}"'})
    assert stale.status_code == 412 and stale.json()["error"]["exit_code"] == 6
    methods = [row["data"].get("method") for row in li_api.get("/api/items/16-1-001").json()["trace"]]
    assert "visit" not in methods


@pytest.mark.parametrize("ref, event, data, status, exit_code", [
    ("16-1-001", "reply", {}, 409, 5),  # not in this state
    ("16-1-001", "sign_for", {}, 422, 3),  # data missing
    ("16-1-001", "fly", {}, 422, 3),  # no such event
    ("16-1-001", "assign", {"lead_unit": "zjj", "mode": "会办"}, 403, 4),  # the supervisor's
    ("16-9-999", "sign_for", SIGN_FOR, 404, 7),
], ids=["not-now", "missing-data", "unknown-event", "not-permitted", "unknown-item"])
def test_errors_map_to_statuses_with_the_cli_exit_code(li_api, suggestions, ref, event, data, status, exit_code):
    response = li_api.post(f"/api/items/{ref}/events/{event}", json={"data": data})
    assert response.status_code == status
    error = response.json()["error"]
    assert error["exit_code"] == exit_code and error["message"]


def test_an_event_at_a_time_in_the_future_is_invalid(li_api, suggestions):
    response = li_api.post("/api/items/16-1-001/events/sign_for", json={"data": SIGN_FOR, "at": "2030-01-01"})
    assert response.status_code == 422 and "将来的时间" in response.json()["error"]["message"]


def test_item_show_and_list_have_the_cli_shapes(browser, suggestions):
    wang = browser("wang")
    listed = wang.get("/api/items").json()
    assert [item["ref"] for item in listed] == ["16-1-001", "16-1-002"]
    assert {"ref", "title", "workflow", "state", "deadline", "overdue", "fields"} <= set(listed[0])
    shown = wang.get("/api/items/16-1-001").json()
    assert {"deputies", "assignments", "children", "trace"} <= set(shown)
    assert shown["deputies"] == ["张三", "李四"]
    assert [child["ref"] for child in shown["children"]] == ["16-1-001/czj"]
    assert [item["ref"] for item in wang.get("/api/items", params={"unit": "jyj"}).json()] == ["16-1-002"]
    assert [item["ref"] for item in wang.get("/api/items", params={"category": "科教文卫"}).json()] == ["16-1-002"]
    assert wang.get("/api/items", params={"sort": "nonsense"}).status_code == 422


def test_can_lists_events_with_reasons(browser, suggestions):
    answers = {answer["event"]: answer for answer in browser("li").get("/api/items/16-1-001/can").json()}
    assert answers["sign_for"]["allowed"] and answers["sign_for"]["data"] == ["leader*", "handler*"]
    assert not answers["reply"]["allowed"] and answers["reply"]["reason"]


def test_a_co_unit_sees_the_item_and_its_own_task(browser, suggestions):
    zhao = browser("zhao")
    assert [item["ref"] for item in zhao.get("/api/items", params={"children": "true"}).json()] == [
        "16-1-001", "16-1-001/czj"]
    assert zhao.get("/api/items/16-1-001/czj").status_code == 200
    assert browser("sun").get("/api/items/16-1-001/czj").status_code == 403


def test_the_ledger_workbook_is_the_cli_ledger(browser, suggestions):
    from openpyxl import load_workbook

    response = browser("wang").get("/api/ledger.xlsx", params={"session": "16-1"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    refs = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    assert "16-1-001" in refs and "16-1-002" in refs


def test_the_annual_report_figures_are_the_cli_json(browser, replied):
    figures = browser("npc").get("/api/reports/annual", params={"session": "16-1"}).json()
    assert figures["session"] == "16-1" and figures["total"] == 2
    assert figures["by_category"]["城市建设"] == 1 and figures["by_result_class"]["A"]["count"] == 2
    assert browser("npc").get("/api/reports/annual").status_code == 422  # the session is required


def test_verify_answers_as_audit_verify(browser, suggestions):
    result = browser("audit").get("/api/audit/verify").json()
    assert result["ok"] is True and result["items"] >= 3 and result["failures"] == []


@pytest.mark.parametrize("user, path", [("li", "/api/ledger.xlsx"), ("zhang", "/api/reports/annual?session=16-1"),
                                        ("li", "/api/audit/verify"), ("npc", "/api/audit/verify")])
def test_the_years_documents_are_for_the_office(browser, suggestions, user, path):
    response = browser(user).get(path)
    assert response.status_code == 403 and response.json()["error"]["exit_code"] == 4


def test_the_openapi_description_names_the_routes(anonymous):
    paths = anonymous.get("/api/openapi.json").json()["paths"]
    assert {"/api/items", "/api/items/{ref}/events/{event}", "/api/ledger.xlsx", "/api/audit/verify"} <= set(paths)
    assert not any(path.startswith("/items") for path in paths)  # the pages are not API


def test_an_unknown_route_is_a_404_in_the_error_shape(anonymous):
    response = anonymous.get("/api/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["exit_code"] == 7
