"""The attacks of issue 13, each refused: no one reads or acts without signing in, a unit or
a deputy cannot reach another's item, a change without its CSRF token is refused, markup is
shown as text, search text is never SQL, bad bodies get a 4xx and a message, and of two
people firing on one item at once exactly one applies."""

from __future__ import annotations

import threading

import pytest

from tests.web.conftest import csrf, form_of

SIGN_FOR = {"leader": "王局长", "handler": "李科长"}


def state_of(runtime, ref: str) -> tuple[str, int]:
    with runtime.store.read() as tx:
        item = tx.item(ref)
    return item.state, item.version


# -- not signed in -------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("get", "/api/me"), ("get", "/api/items"), ("get", "/api/items/16-1-001"), ("get", "/api/items/16-1-001/can"),
    ("post", "/api/items/16-1-001/events/sign_for"), ("get", "/api/ledger.xlsx"),
    ("get", "/api/reports/annual?session=16-1"), ("get", "/api/audit/verify"),
], ids=lambda value: value if value.startswith("/") else "")
def test_the_api_answers_401_without_sign_in(anonymous, suggestions, method, path):
    response = getattr(anonymous, method)(path, **({"json": {"data": SIGN_FOR}} if method == "post" else {}))
    assert response.status_code == 401
    assert response.json()["error"]["exit_code"] == 4
    assert "物业" not in response.text


@pytest.mark.parametrize("path", ["/", "/items/16-1-001", "/ledger", "/dashboard", "/audit", "/workflows"])
def test_pages_send_a_stranger_to_the_sign_in_page(anonymous, suggestions, path):
    response = anonymous.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert "物业" not in response.text


def test_a_made_up_session_cookie_or_token_gets_nothing(anonymous, suggestions):
    anonymous.cookies.set("banli_session", "forged")
    assert anonymous.get("/api/items").status_code == 401
    anonymous.cookies.clear()
    assert anonymous.get("/api/items", headers={"Authorization": "Bearer forged"}).status_code == 401


# -- another unit's or deputy's item ------------------------------------------------------------

@pytest.mark.parametrize("path", ["/items/16-1-002", "/api/items/16-1-002", "/api/items/16-1-002/can",
                                  "/audit/items/16-1-002"])
def test_a_unit_cannot_read_another_units_item(browser, suggestions, path):
    response = browser("li").get(path)
    assert response.status_code == 403
    assert "供暖" not in response.text and "王五" not in response.text


def test_a_unit_cannot_act_on_another_units_item(browser, runtime, suggestions):
    li = browser("li")
    before = state_of(runtime, "16-1-002")
    token = csrf(li)
    assert li.post("/items/16-1-002/events/sign_for", data={**SIGN_FOR, "csrf_token": token}).status_code == 403
    api = li.post("/api/items/16-1-002/events/sign_for", json={"data": SIGN_FOR}, headers={"X-CSRF-Token": token})
    assert api.status_code == 403 and "供暖" not in api.text
    assert state_of(runtime, "16-1-002") == before


def test_lists_show_only_ones_own_items(browser, suggestions):
    li = browser("li")
    assert [item["ref"] for item in li.get("/api/items").json()] == ["16-1-001"]
    assert "供暖" not in li.get("/ledger").text and "供暖" not in li.get("/").text
    sun = browser("sun")
    assert [item["ref"] for item in sun.get("/api/items").json()] == ["16-1-002"]


def test_a_deputy_cannot_read_or_rate_someone_elses_suggestion(browser, runtime, replied):
    zhang = browser("zhang")
    assert [item["ref"] for item in zhang.get("/api/items").json()] == ["16-1-001"]
    page = zhang.get("/items/16-1-002")
    assert page.status_code == 403 and "王五" not in page.text and "供暖" not in page.text
    before = state_of(runtime, "16-1-002")
    refused = zhang.post("/items/16-1-002/events/rate", data={"rating": "不满意", "csrf_token": csrf(zhang)})
    assert refused.status_code == 403
    assert state_of(runtime, "16-1-002") == before
    assert "供暖" not in zhang.get("/").text


# -- CSRF ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "not-the-token"], ids=["absent", "empty", "wrong"])
def test_a_form_without_its_csrf_token_is_refused(browser, runtime, suggestions, token):
    li = browser("li")
    before = state_of(runtime, "16-1-001")
    fields = form_of(li.get("/items/16-1-001").text, "sign_for")
    fields.pop("csrf_token")
    if token is not None:
        fields["csrf_token"] = token
    response = li.post("/items/16-1-001/events/sign_for", data={**fields, **SIGN_FOR})
    assert response.status_code == 403
    assert state_of(runtime, "16-1-001") == before


def test_a_cookie_api_write_needs_the_csrf_header_a_bearer_token_does_not(browser, anonymous, runtime, store, clock,
                                                                        suggestions):
    from banli.engine import accounts

    li = browser("li")
    refused = li.post("/api/items/16-1-001/events/contact", json={"data": {"method": "phone"}})
    assert refused.status_code == 403 and refused.json()["error"]["exit_code"] == 4
    assert li.post("/api/items/16-1-001/events/contact", json={"data": {"method": "phone"}},
                   headers={"X-CSRF-Token": csrf(li)}).status_code == 200
    token = accounts.new_token(store, "li", "ledger-sync", now=clock())
    assert anonymous.post("/api/items/16-1-001/events/contact", json={"data": {"method": "visit"}},
                          headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_signing_out_and_in_need_their_csrf_tokens(browser, anonymous, people):
    li = browser("li")
    assert li.post("/logout").status_code == 403
    assert li.get("/api/me").status_code == 200  # still signed in
    response = anonymous.post("/login", data={"username": "li", "password": "口令-correct-horse"}, follow_redirects=False)
    assert response.status_code == 403 and "banli_session" not in response.cookies


# -- markup is text ----------------------------------------------------------------------------------

def test_script_in_a_title_or_a_reply_is_shown_as_text(browser, runtime, suggestions):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-003", title="<script>alert('title')</script>", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设"}, at="2026-01-11T09:00")
    wang = browser("wang")
    for path in ("/items/16-1-003", "/ledger"):
        assert "<script>alert('title')" not in wang.get(path).text
    api = wang.get("/api/items")  # data, not a page: JSON, never sniffed as HTML
    assert api.headers["content-type"] == "application/json" and api.headers["x-content-type-options"] == "nosniff"
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in wang.get("/items/16-1-003").text
    li = browser("li")
    li.post("/items/16-1-001/events/contact", data={**form_of(li.get("/items/16-1-001").text, "contact"),
                                                    "method": "phone", "note": "<script>alert('note')</script>"})
    page = li.get("/items/16-1-001").text
    assert "<script>alert('note')" not in page and "&lt;script&gt;alert(&#39;note&#39;)" in page


# -- search text is never SQL ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["' OR 1=1 --", "%", "_", "\\", "\"; DROP TABLE item; --", "物业' --", "％",
                                  "' UNION SELECT * FROM account --"])
def test_search_and_filters_with_sql_metacharacters_return_results(browser, suggestions, text):
    wang = browser("wang")
    found = wang.get("/api/items", params={"q": text})
    assert found.status_code == 200 and found.json() == []
    for name in ("session", "unit", "state", "category"):
        assert wang.get("/api/items", params={name: text}).json() == []
        assert wang.get("/ledger", params={name: text, "q": text}).status_code == 200
    assert [item["ref"] for item in wang.get("/api/items", params={"q": "物业"}).json()] == ["16-1-001"]
    assert len(wang.get("/api/items").json()) == 2  # nothing was dropped


def test_a_literal_percent_sign_finds_only_titles_with_one(browser, runtime, suggestions):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-004", title="关于公交覆盖率达到100%的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设"}, at="2026-01-11T09:00")
    assert [item["ref"] for item in browser("wang").get("/api/items", params={"q": "100%"}).json()] == ["16-1-004"]


# -- bad bodies -------------------------------------------------------------------------------------------

def test_an_oversized_body_is_refused_with_413(browser, runtime, suggestions):
    li = browser("li")
    before = state_of(runtime, "16-1-001")
    token = csrf(li)
    big = {"data": {"leader": "王" * (600 * 1024), "handler": "李科长"}}  # over 1 MiB as UTF-8
    response = li.post("/api/items/16-1-001/events/sign_for", json=big, headers={"X-CSRF-Token": token})
    assert response.status_code == 413 and "KiB" in response.json()["error"]["message"]
    form = li.post("/items/16-1-001/events/sign_for", data={"csrf_token": token, "leader": "x" * (2 << 20)})
    assert form.status_code == 413 and "过大" in form.text
    assert state_of(runtime, "16-1-001") == before


def test_a_body_without_a_length_is_limited_too(browser, suggestions):
    li = browser("li")

    def chunks():
        for _ in range(20):
            yield b"x" * (100 * 1024)

    response = li.post("/api/items/16-1-001/events/sign_for", content=chunks(),
                       headers={"X-CSRF-Token": csrf(li), "Content-Type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize("body, headers", [
    (b"{not json", {}), (b"[1, 2]", {}), (b'{"data": [1]}', {}), (b'{"data": {}, "at": 5}', {}),
    (b'{"data": {}, "extra": 1}', {}), ("\udcff".encode("utf-8", "surrogatepass"), {}),
    (b'{"data": {"leader": "a", "handler": "b"}}', {"If-Match": "seven"}),
    (b'{"data": {"leader": "a", "handler": "b"}, "at": "yesterday"}', {}),
], ids=["broken", "array", "data-not-object", "at-not-text", "unknown-key", "bad-utf8", "bad-if-match", "bad-at"])
def test_a_malformed_request_gets_422_with_a_message(browser, runtime, suggestions, body, headers):
    li = browser("li")
    before = state_of(runtime, "16-1-001")
    response = li.post("/api/items/16-1-001/events/sign_for", content=body,
                       headers={"X-CSRF-Token": csrf(li), "Content-Type": "application/json", **headers})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["exit_code"] == 3 and error["message"]
    assert state_of(runtime, "16-1-001") == before


def test_an_unexpected_failure_is_a_500_without_a_traceback(browser, suggestions, monkeypatch):
    from banli.web import reading

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals at /srv/banli/store.py line 42")

    monkeypatch.setattr(reading, "item_info", broken)
    wang = browser("wang")
    for path in ("/api/items/16-1-001", "/items/16-1-001"):
        response = wang.get(path)
        assert response.status_code == 500
        assert "secret internals" not in response.text and "Traceback" not in response.text


# -- two people at once ---------------------------------------------------------------------------------------

def test_of_two_people_firing_at_once_exactly_one_applies(browser, runtime, suggestions):
    first, second = browser("li"), browser("li")
    forms = [form_of(client.get("/items/16-1-001").text, "sign_for") for client in (first, second)]
    barrier = threading.Barrier(2)
    answers = [None, None]

    def submit(index, client, form):
        barrier.wait()
        answers[index] = client.post("/items/16-1-001/events/sign_for", data={**form, **SIGN_FOR},
                                     follow_redirects=False)

    threads = [threading.Thread(target=submit, args=(index, client, form))
               for index, (client, form) in enumerate(zip((first, second), forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(answer.status_code for answer in answers)
    # the loser read the item after the winner's commit (409: not possible in the new state) or
    # before it (412: the version it carried is gone); either way it is told why
    assert codes in ([303, 409], [303, 412])
    loser = next(answer for answer in answers if answer.status_code != 303)
    assert "刚被他人更新" in loser.text
    trace = [row["event"] for row in browser("wang").get("/api/items/16-1-001").json()["trace"]]
    assert trace.count("sign_for") == 1


def test_a_stale_form_is_refused_not_applied_over_the_newer_state(browser, runtime, suggestions):
    li = browser("li")
    stale = form_of(li.get("/items/16-1-001").text, "contact")
    runtime.fire("16-1-001", "sign_for", "li", SIGN_FOR)
    response = li.post("/items/16-1-001/events/contact", data={**stale, "method": "phone"})
    assert response.status_code == 412 and "刚被他人更新" in response.text
    assert [row["event"] for row in li.get("/api/items/16-1-001").json()["trace"]].count("contact") == 0
