"""Web fixtures: the application on the test's own database (SQLite, and PostgreSQL with
BANLI_TEST_PG), people with passwords, suggestions at given stages, and a browser-like
client that signs in through the sign-in form."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher

from banli.engine import accounts

PASSWORD = "口令-correct-horse"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PEOPLE = ("wang", "reg", "npc", "li", "zhao", "sun", "zhang", "lisi", "audit")

# (user, event, data, at): 16-1-001 from registration to handling by 县住建局 with 县财政局 as co-unit
TO_ASSIGNED = [
    ("reg", "sort", {"category": "城市建设", "session": "16-1"}, "2026-01-20T09:00"),
    ("reg", "review", {}, "2026-01-21T09:00"),
    ("reg", "audit", {}, "2026-01-22T09:00"),
    ("npc", "approve", {}, "2026-01-23T09:00"),
    ("wang", "assign", {"lead_unit": "zjj", "co_units": "czj", "mode": "会办"}, "2026-05-27T09:00"),
]


@pytest.fixture(autouse=True)
def chinese_pages(monkeypatch):
    """The pages in Chinese, the language banli serves in by default (the rest of the suite
    reads English): every word of a page, and the refusals shown on it."""
    monkeypatch.setenv("BANLI_LANG", "zh_CN")


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    """argon2 at a low cost: these tests are about who gets in, not how slowly."""
    monkeypatch.setattr(accounts, "_hasher", lambda: CHEAP)


@pytest.fixture
def people(store, clock):
    """Everyone of tests/data/org.yaml with the password PASSWORD."""
    for user in PEOPLE:
        accounts.set_password(store, user, PASSWORD, by="test", now=clock())
    return PEOPLE


@pytest.fixture
def suggestions(runtime):
    """16-1-001 (deputies 张三 and 李四) assigned to 县住建局 with 县财政局 as co-unit, and 16-1-002
    (deputy 王五) assigned to 县教育局; returns their refs."""
    runtime.create(workflow_id="npc-suggestion", ref="16-1-001", title="关于加强物业管理的建议", actor="reg",
                   deputies=["张三", "李四"], fields={"category": "城市建设", "session": "16-1"}, at="2026-01-10T09:00")
    runtime.create(workflow_id="npc-suggestion", ref="16-1-002", title="关于改善乡村学校供暖的建议", actor="reg",
                   deputies=["王五"], fields={"category": "科教文卫", "session": "16-1"}, at="2026-01-10T10:00")
    for user, event, data, at in TO_ASSIGNED:
        runtime.fire("16-1-001", event, user, data, at=at)
    for user, event, data, at in TO_ASSIGNED[:-1]:
        runtime.fire("16-1-002", event, user, dict(data, category="科教文卫") if "category" in data else data, at=at)
    runtime.fire("16-1-002", "assign", "wang", {"lead_unit": "jyj", "mode": "单独办理"}, at="2026-05-27T10:00")
    return "16-1-001", "16-1-002"


REPLY = {"result_class": "A", "text": "张三、李四代表：您好！您提出的建议已办理，现答复如下。", "signer": "王局长",
         "contact_person": "李科长"}


@pytest.fixture
def replied(runtime, suggestions):
    """The suggestions signed for and replied to, the replies accepted: both await their
    deputies' rating."""
    steps = [("li", "16-1-001", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-05-28T09:00"),
             ("zhao", "16-1-001/czj", "sign_for", {"leader": "高局长", "handler": "林科长"}, "2026-05-28T10:00"),
             ("zhao", "16-1-001/czj", "submit_opinion", {"text": "同意主办单位意见"}, "2026-05-29T10:00"),
             ("li", "16-1-001", "reply", REPLY, "2026-05-30T09:00"),
             ("wang", "16-1-001", "accept_reply", {}, "2026-05-30T10:00"),
             ("sun", "16-1-002", "sign_for", {"leader": "王振宇", "handler": "刘慧敏"}, "2026-05-28T09:00"),
             ("sun", "16-1-002", "reply", dict(REPLY, text="王五代表：您好！现答复如下。"), "2026-05-30T09:00"),
             ("wang", "16-1-002", "accept_reply", {}, "2026-05-30T10:00")]
    for user, ref, event, data, at in steps:
        runtime.fire(ref, event, user, data, at=at)
    return suggestions


@pytest.fixture
def app(store, clock):
    from banli.web import create_app

    return create_app(store, now=clock)


@pytest.fixture
def anonymous(app):
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def browser(app, people):
    """`browser(user)`: a client signed in through the sign-in form, as a browser would."""
    from fastapi.testclient import TestClient

    clients = []

    def signed_in(user: str) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        sign_in(client, user)
        return client

    yield signed_in
    for client in clients:
        client.close()


def login_token(client) -> str:
    page = client.get("/login")
    form = re.search(r'<form method="post" action="/login".*?</form>', page.text, re.S).group(0)
    return re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)


def sign_in(client, user: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": user, "password": password, "csrf_token": login_token(client)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


def csrf(client) -> str:
    return client.get("/api/me").json()["csrf_token"]


def form_of(page_text: str, event: str) -> dict:
    """The hidden fields (csrf_token, version) of an event's form on an item page."""
    form = re.search(rf'<form[^>]*id="form-{event}".*?</form>', page_text, re.S)
    assert form, f"no form for {event} on the page"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))
