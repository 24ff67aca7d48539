"""Delivering the outbox through real channels: an SMTP server (aiosmtpd) and an HTTP server
on this machine, a closed port for a channel that is down, and banli.toml errors."""

from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from banli.config import load_config
from banli.engine.times import utc_text
from banli.errors import InvalidInput
from banli.notify import deliver, list_deliveries
from banli.store import delivery as outbox
from banli.engine.people import People
from banli.store.outbox import enqueue

NOW = datetime(2026, 9, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 in Xiping
REF = "16-1-073"
SUBJECT = f"【催办】{REF} 关于加强老旧小区物业管理的建议 已逾期"
BODY = f"王明：\n\n建议 {REF}《关于加强老旧小区物业管理的建议》已逾期。\n办理期限：2026年8月27日\n承办单位：县住建局\n"

ORG_WITH_EMAIL = """
units:
  - {id: zjj, name: 县住建局}
people:
  - {id: wang, name: 王明, roles: [supervisor], email: wang@xiping.gov.cn}
  - {id: li, name: 李华, roles: [unit], unit: zjj, email: lihua@zjj.xiping.gov.cn}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def emails(store, tmp_path):
    """wang (supervisor) and li (县住建局) get e-mail addresses; sun (县教育局) has none."""
    from banli.engine.org import read_org
    from banli.store.operator import apply_org

    path = tmp_path / "org-email.yaml"
    path.write_text(ORG_WITH_EMAIL, encoding="utf-8")
    apply_org(store, read_org(path), "test", utc_text(NOW - timedelta(days=30)))


@pytest.fixture
def remind(store):
    """Write an urge reminder to the holders of `role` into the outbox; returns the keys."""

    def write(role: str = "supervisor", *, units: list[str] = (), cause: str = f"remind:{REF}:overdue:0",
              at: datetime = NOW - timedelta(minutes=5)) -> list[str]:
        with store.read() as tx:
            people = People(tx.people()).with_role(role, units=list(units))
        assert people, f"nobody has the role {role}"
        with store.engine.begin() as connection:
            enqueue(connection, cause=cause, people=people, item_id=None, ref=REF, subject=SUBJECT, body=BODY,
                    at=utc_text(at))
        return [f"{cause}>{person.id}" for person in people]

    return write


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Write banli.toml from its [notify] lines and read it back as deliver() will."""
    monkeypatch.delenv("BANLI_SMTP_PASSWORD", raising=False)

    def make(*lines: str):
        path = tmp_path / "banli.toml"
        path.write_text("[notify]\n" + "\n".join(lines) + "\n", encoding="utf-8")
        return load_config(path)

    return make


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1; `.received` holds (envelope recipients, parsed message)."""
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.received: list = []

        async def handle_DATA(self, server, session, envelope):
            message = message_from_bytes(envelope.original_content, policy=default_policy)
            self.received.append((list(envelope.rcpt_tos), message))
            return "250 OK"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def http_server():
    """A real HTTP server on 127.0.0.1 answering with `statuses` in turn (then 200); `.requests` logs each."""

    def start(statuses: list[int]):
        answers = list(statuses)
        requests: list[dict] = []

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = answers.pop(0) if answers else 200
                requests.append({"headers": dict(self.headers), "json": json.loads(body), "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        server.requests = requests
        server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        return server

    started: list = []
    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def by_channel(store, channel: str) -> list[dict]:
    return [row for row in list_deliveries(store) if row["channel"] == channel]


# -- e-mail ------------------------------------------------------------------------------


def test_a_reminder_arrives_by_email_in_chinese_and_only_once(store, emails, remind, config, smtp_server):
    (key,) = remind("supervisor")
    settings = config('channels = ["email"]', "[notify.email]", 'host = "127.0.0.1"', f"port = {smtp_server.port}",
                      'sender = "县人大督查局 <banli@xiping.gov.cn>"')

    assert deliver(store, settings, NOW) == {"sent": 1, "failed": 0, "retrying": 0, "pending": 0}

    (recipients, message), = smtp_server.received
    assert recipients == ["wang@xiping.gov.cn"]
    assert message["Subject"] == SUBJECT
    assert message["To"].addresses[0].display_name == "王明"
    assert message["To"].addresses[0].addr_spec == "wang@xiping.gov.cn"
    assert message["From"].addresses[0].display_name == "县人大督查局"
    text = message.get_content()
    assert REF in text and "办理期限：2026年8月27日" in text
    assert message["Message-ID"] == outbox_message_id(key)

    again = deliver(store, settings, NOW + timedelta(hours=2))
    assert again["sent"] == 0
    assert len(smtp_server.received) == 1
    (row,) = by_channel(store, "email")
    assert (row["status"], row["attempts"], row["ref"]) == ("sent", 1, REF)


def outbox_message_id(key: str) -> str:
    from banli.notify.channels import message_id

    return message_id(key, "banli@xiping.gov.cn")


def test_a_person_without_email_fails_at_once_and_the_others_still_get_theirs(
        store, emails, remind, config, smtp_server):
    remind("lead_unit", units=["zjj", "jyj"], cause=f"remind:{REF}:sign_for:0")  # li has an address, sun has none
    settings = config('channels = ["email"]', f"[notify.email]\nport = {smtp_server.port}")

    counts = deliver(store, settings, NOW)

    assert counts == {"sent": 1, "failed": 1, "retrying": 0, "pending": 0}
    assert [recipients for recipients, _ in smtp_server.received] == [["lihua@zjj.xiping.gov.cn"]]
    (failed,) = list_deliveries(store, status="failed")
    assert failed["recipient"] == "sun" and failed["attempts"] == 1
    assert "no e-mail address for 孙七 (sun)" in failed["last_error"]


def test_an_address_added_to_the_org_file_later_is_used(store, remind, config, smtp_server, tmp_path):
    """The address is read when the message is sent: wang had none when the reminder was written."""
    from banli.engine.org import read_org
    from banli.store.operator import apply_org

    remind("supervisor")
    path = tmp_path / "org-email.yaml"
    path.write_text(ORG_WITH_EMAIL, encoding="utf-8")
    apply_org(store, read_org(path), "test", utc_text(NOW - timedelta(minutes=1)))
    settings = config('channels = ["email"]', f"[notify.email]\nport = {smtp_server.port}")

    assert deliver(store, settings, NOW)["sent"] == 1
    assert smtp_server.received[0][0] == ["wang@xiping.gov.cn"]


# -- webhook -----------------------------------------------------------------------------


def test_a_webhook_that_fails_twice_then_succeeds_delivers_exactly_once(store, remind, config, http_server):
    (key,) = remind("supervisor")
    hook = http_server([500, 500])
    settings = config('channels = ["webhook"]', 'backoff = "1 minutes"', "[notify.webhook]", f'url = "{hook.url}"')
    minute = timedelta(minutes=1)

    assert deliver(store, settings, NOW)["retrying"] == 1
    assert deliver(store, settings, NOW + 30 * timedelta(seconds=1))["retrying"] == 0  # not due yet: not tried
    assert deliver(store, settings, NOW + minute)["retrying"] == 1  # second failure: waits 2 minutes
    assert deliver(store, settings, NOW + 2 * minute) == {"sent": 0, "failed": 0, "retrying": 0, "pending": 1}
    assert deliver(store, settings, NOW + 3 * minute) == {"sent": 1, "failed": 0, "retrying": 0, "pending": 0}
    assert deliver(store, settings, NOW + 60 * minute)["sent"] == 0

    assert [request["status"] for request in hook.requests] == [500, 500, 200]
    assert {request["headers"]["Idempotency-Key"] for request in hook.requests} == {f"{key}:webhook"}
    payload = hook.requests[-1]["json"]
    assert (payload["key"], payload["ref"], payload["recipient"], payload["subject"]) == (key, REF, "wang", SUBJECT)
    assert "办理期限：2026年8月27日" in payload["body"]
    (row,) = by_channel(store, "webhook")
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, "")


def test_a_channel_that_is_down_loses_nothing_and_gives_up_after_max_attempts(store, remind, config, tmp_path):
    remind("supervisor")
    settings = config('channels = ["log", "webhook"]', "max_attempts = 3", 'backoff = "1 minutes"',
                      'backoff_max = "90 seconds"', "[notify.webhook]", f'url = "http://127.0.0.1:{free_port()}/hook"',
                      "[notify.log]", 'file = "sent.log"')

    first = deliver(store, settings, NOW)

    assert first == {"sent": 1, "failed": 0, "retrying": 1, "pending": 1}  # the log channel is not held up
    (logged,) = (tmp_path / "sent.log").read_text(encoding="utf-8").splitlines()
    assert json.loads(logged)["subject"] == SUBJECT
    (row,) = by_channel(store, "webhook")
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "refused" in row["last_error"].lower() and "\n" not in row["last_error"]
    assert row["next_attempt_at"] == "2026-09-01T09:01:00+08:00"  # now + 1 minute, local time

    deliver(store, settings, NOW + timedelta(minutes=1))
    (row,) = by_channel(store, "webhook")
    assert (row["status"], row["attempts"]) == ("pending", 2)
    assert row["next_attempt_at"] == "2026-09-01T09:02:30+08:00"  # 2 minutes, capped at 90 seconds

    last = deliver(store, settings, NOW + timedelta(minutes=3))
    assert last == {"sent": 0, "failed": 1, "retrying": 0, "pending": 0}
    (row,) = by_channel(store, "webhook")
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert deliver(store, settings, NOW + timedelta(days=1))["failed"] == 0
    assert len((tmp_path / "sent.log").read_text(encoding="utf-8").splitlines()) == 1


def test_a_claim_held_by_a_worker_that_died_is_taken_over_when_its_lease_runs_out(store, remind, config, http_server):
    remind("supervisor")
    hook = http_server([])
    settings = config('channels = ["webhook"]', 'lease = "10 minutes"', f'[notify.webhook]\nurl = "{hook.url}"')
    claimed = outbox.claim(store, channels=["webhook"], now=utc_text(NOW),
                           until=utc_text(NOW + timedelta(minutes=10)), limit=10)
    assert len(claimed) == 1  # … and that worker never comes back

    assert deliver(store, settings, NOW + timedelta(minutes=5)) == {"sent": 0, "failed": 0, "retrying": 0, "pending": 1}
    assert hook.requests == []
    assert deliver(store, settings, NOW + timedelta(minutes=11))["sent"] == 1
    assert len(hook.requests) == 1


def test_two_workers_at_once_send_each_message_once(store, db_url, remind, config, http_server):
    from banli.store.repo import SqlStore

    for number in range(30):
        remind("supervisor", cause=f"remind:16-1-{number:03}:overdue:0")
    hook = http_server([])
    settings = config('channels = ["webhook"]', "batch = 4", f'[notify.webhook]\nurl = "{hook.url}"')
    workers = [SqlStore(db_url) for _ in range(2)]
    counts: list[dict] = []
    threads = [threading.Thread(target=lambda w=worker: counts.append(deliver(w, settings, NOW))) for worker in workers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for worker in workers:
            worker.close()

    assert sum(c["sent"] for c in counts) == 30
    keys = [request["headers"]["Idempotency-Key"] for request in hook.requests]
    assert len(keys) == len(set(keys)) == 30


def test_notifications_written_after_a_run_are_picked_up_by_the_next(store, emails, remind, config, smtp_server):
    settings = config('channels = ["email"]', f"[notify.email]\nport = {smtp_server.port}")
    remind("supervisor", cause="remind:16-1-001:overdue:0")
    assert deliver(store, settings, NOW)["sent"] == 1
    remind("supervisor", cause="remind:16-1-002:overdue:0", at=NOW + timedelta(minutes=1))
    remind("supervisor", cause="remind:16-1-001:overdue:0")  # the same cause again: no second message
    assert deliver(store, settings, NOW + timedelta(minutes=2))["sent"] == 1
    assert len(smtp_server.received) == 2


# -- the command -------------------------------------------------------------------------


def test_notify_deliver_and_list_commands(store, db_url, remind, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from banli.cli import Settings
    from banli.cli.notify import notify

    (tmp_path / "banli.toml").write_text('[notify.log]\nfile = "out.log"\n', encoding="utf-8")
    monkeypatch.setenv("BANLI_CONFIG", str(tmp_path / "banli.toml"))
    remind("supervisor")
    settings = Settings(db_url, None, False)
    runner = CliRunner()
    try:
        before = runner.invoke(notify, ["list", "--json"], obj=settings, catch_exceptions=False)
        sent = runner.invoke(notify, ["deliver", "--json"], obj=settings, catch_exceptions=False)
        listed = runner.invoke(notify, ["list", "--status", "sent", "--json"], obj=settings, catch_exceptions=False)
        text = runner.invoke(notify, ["list"], obj=settings, catch_exceptions=False)
    finally:
        settings.store.close()

    assert [(row["channel"], row["status"]) for row in json.loads(before.stdout)] == [(None, "pending")]
    assert json.loads(sent.stdout) == {"sent": 1, "failed": 0, "retrying": 0, "pending": 0}
    (row,) = json.loads(listed.stdout)
    assert (row["ref"], row["recipient"], row["channel"], row["attempts"]) == (REF, "wang", "log", 1)
    assert "王明" in text.stdout and "sent" in text.stdout
    assert REF in (tmp_path / "out.log").read_text(encoding="utf-8")


# -- banli.toml --------------------------------------------------------------------------


def test_without_a_config_file_notifications_go_to_the_log(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BANLI_CONFIG", raising=False)
    config = load_config()
    assert config.notify.channels == ["log"]
    assert config.log_file().name == "banli-notifications.log"
    assert config.scheduler.deliver_every == timedelta(minutes=1)


def test_the_smtp_password_may_come_from_the_environment(config, monkeypatch):
    monkeypatch.setenv("BANLI_SMTP_PASSWORD", "s3cret")
    assert config("[notify.email]", 'username = "banli"').notify.email.password == "s3cret"


@pytest.mark.parametrize("lines, expected", [
    (['channels = ["log", "sms"]'], "notify.channels[1]: Input should be 'log', 'email' or 'webhook'"),
    (['backof = "2 minutes"'], "notify.backof: unknown key; allowed: channels, max_attempts, backoff,"),
    (['backoff = "2 workdays"'], "notify.backoff: bad interval '2 workdays'"),
    (["max_attempts = 0"], "notify.max_attempts: Input should be greater than or equal to 1"),
    (['channels = ["webhook"]'], "the webhook channel needs [notify.webhook] url"),
    (["[notify.email]", 'port = "twenty-five"'], "notify.email.port: Input should be a valid integer"),
    (["[notify.webhook]", 'url = "ftp://x"'], "notify.webhook.url: 'ftp://x' is not an http:// or https:// URL"),
    (["channels = [log]"], "not valid TOML"),
], ids=["unknown-channel", "unknown-key", "bad-interval", "zero-attempts", "webhook-without-url", "port-not-int",
        "not-http", "bad-toml"])
def test_config_errors_are_one_clear_line(config, tmp_path, lines, expected):
    with pytest.raises(InvalidInput) as caught:
        config(*lines)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "banli.toml") + ": ")
    assert expected in message and "\n" not in message


def test_a_config_file_named_in_the_environment_must_exist(tmp_path, monkeypatch):
    monkeypatch.setenv("BANLI_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(InvalidInput, match="missing.toml not found"):
        load_config()
