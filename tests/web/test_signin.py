"""Signing in and out (SPEC §9): the session cookie's flags, the lockout after five failed
sign-ins, the idle timeout, sign-out, API tokens, invitations, and the trace naming the
person signed in."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import PASSWORD, csrf, form_of, login_token, sign_in


def attempt(client, user: str, password: str):
    return client.post("/login", data={"username": user, "password": password, "csrf_token": login_token(client)},
                       follow_redirects=False)


def test_the_session_cookie_is_httponly_and_samesite(anonymous, people):
    response = sign_in(anonymous, "li")
    cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith("banli_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert response.headers["location"] == "/"


def test_the_pages_speak_the_servers_language(anonymous, people, monkeypatch):
    """A refusal on a page is in the language banli serves in: Chinese unless told English."""
    monkeypatch.setenv("BANLI_LANG", "zh_CN")
    assert "用户名或密码不正确" in attempt(anonymous, "li", "not-the-password").text
    monkeypatch.setenv("BANLI_LANG", "en")
    assert "the user name or the password is not right" in attempt(anonymous, "li", "not-the-password").text


def test_secure_cookies_when_configured(store, clock, people):
    from fastapi.testclient import TestClient

    from banli.web import create_app

    with TestClient(create_app(store, now=clock, secure_cookies=True), base_url="https://testserver") as client:
        cookie = next(value for value in sign_in(client, "li").headers.get_list("set-cookie")
                      if value.startswith("banli_session="))
    assert "Secure" in cookie


def test_a_wrong_password_and_an_unknown_person_read_the_same(anonymous, people):
    wrong, unknown = attempt(anonymous, "li", "not-the-password"), attempt(anonymous, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码不正确" in wrong.text and "用户名或密码不正确" in unknown.text
    assert "banli_session" not in wrong.cookies


def test_five_failed_sign_ins_lock_the_account_for_a_while(anonymous, people, clock):
    for _ in range(5):
        assert attempt(anonymous, "li", "guess-guess").status_code == 401
    locked = attempt(anonymous, "li", PASSWORD)
    assert locked.status_code == 429 and "banli_session" not in locked.cookies
    assert "锁定" in locked.text
    assert attempt(anonymous, "zhang", PASSWORD).status_code == 303  # another account is not locked
    clock.advance(minutes=16)
    assert attempt(anonymous, "li", PASSWORD).status_code == 303


def test_a_session_idle_too_long_is_over(browser, clock):
    li = browser("li")
    clock.advance(minutes=29)
    assert li.get("/api/me").status_code == 200
    clock.advance(minutes=29)  # used 29 minutes ago: still fresh
    assert li.get("/api/me").status_code == 200
    clock.advance(minutes=31)
    assert li.get("/api/me").status_code == 401
    assert li.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_signing_out_ends_the_session(browser):
    li = browser("li")
    cookie = li.cookies.get("banli_session")
    response = li.post("/logout", data={"csrf_token": csrf(li)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    li.cookies.set("banli_session", cookie)  # the old cookie, kept by an attacker, no longer works
    assert li.get("/api/me").status_code == 401


def test_after_signing_in_one_returns_to_the_page_asked_for_and_never_to_another_site(anonymous, people, suggestions):
    first = anonymous.get("/items/16-1-001", follow_redirects=False)
    target = first.headers["location"]
    page = anonymous.get(target)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    next_path = re.search(r'name="next" value="([^"]+)"', page.text).group(1)
    assert next_path == "/items/16-1-001"
    done = anonymous.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": token,
                                          "next": next_path}, follow_redirects=False)
    assert done.headers["location"] == "/items/16-1-001"
    away = anonymous.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": token,
                                          "next": "//evil.example/"}, follow_redirects=False)
    assert away.headers["location"] == "/"


def test_events_fired_through_the_web_are_traced_as_the_person_signed_in(browser, runtime, suggestions):
    li = browser("li")
    li.post("/items/16-1-001/events/sign_for",
            data={**form_of(li.get("/items/16-1-001").text, "sign_for"), "leader": "王局长", "handler": "李科长"})
    trace = browser("wang").get("/api/items/16-1-001").json()["trace"]
    assert (trace[-1]["event"], trace[-1]["actor"]) == ("sign_for", "li")


def test_an_api_token_acts_for_its_person_until_revoked(anonymous, store, clock, suggestions):
    from banli.engine import accounts

    token = accounts.new_token(store, "sun", "oa-system", now=clock())
    headers = {"Authorization": f"Bearer {token}"}
    me = anonymous.get("/api/me", headers=headers).json()
    assert me == {"id": "sun", "name": "孙七", "roles": ["unit"], "unit": "jyj"}  # no csrf_token for a token
    assert [item["ref"] for item in anonymous.get("/api/items", headers=headers).json()] == ["16-1-002"]
    accounts.revoke_token(store, "sun", "oa-system", now=clock())
    assert anonymous.get("/api/me", headers=headers).status_code == 401


def test_an_invitation_sets_a_first_password_once(anonymous, store, clock, suggestions):
    from banli.engine import accounts
    from datetime import timedelta

    [(user, code)] = accounts.invite(store, ["zhao"], now=clock(), valid_for=timedelta(days=7))
    page = anonymous.get(f"/invite/{code}")
    assert page.status_code == 200 and "设置您的密码" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    mismatch = anonymous.post(f"/invite/{code}", data={"csrf_token": token, "password": "新的密码-12345",
                                                        "password_again": "另一个密码-12345"})
    assert mismatch.status_code == 422 and "不一致" in mismatch.text
    done = anonymous.post(f"/invite/{code}", data={"csrf_token": token, "password": "新的密码-12345",
                                                    "password_again": "新的密码-12345"}, follow_redirects=False)
    assert done.status_code == 303 and "password_set" in done.headers["location"]
    assert sign_in(anonymous, "zhao", "新的密码-12345").status_code == 303
    again = anonymous.post(f"/invite/{code}", data={"csrf_token": token, "password": "第三个密码-12345",
                                                     "password_again": "第三个密码-12345"})
    assert again.status_code == 404 and "无效" in again.text


@pytest.mark.parametrize("path", ["/login", "/invite/abc"])
def test_sign_in_pages_work_on_a_phone_and_escape_what_they_echo(anonymous, people, path):
    page = anonymous.get(path, params={"user": "<b>x</b>"})
    assert 'name="viewport"' in page.text and "<b>x</b>" not in page.text
