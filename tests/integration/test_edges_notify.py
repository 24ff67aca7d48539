"""Notifications at the edges (issue 14, item 6): SMTP over TLS only (STARTTLS and implicit,
certificates checked, a county's own CA), permanent failures given up at once, delivery in
batches, and outbox keys that fit their column — against real local SMTP and HTTP servers."""

from __future__ import annotations

import json
import ssl
import subprocess
from datetime import timedelta
from types import SimpleNamespace

import pytest

from banli.errors import InvalidInput
from banli.notify import deliver, list_deliveries
from banli.store.outbox import enqueue
from tests.integration.test_notify import (  # noqa: F401 - fixtures
    NOW, REF, config, emails, free_port, http_server, remind, smtp_server)

SENDER = 'sender = "banli@xiping.gov.cn"'


# -- a real SMTP server with TLS and AUTH ------------------------------------------------------


def make_certificate(folder, name: str, names: str):
    """A self-signed certificate (it is its own CA) for `names` (subjectAltName), with its key."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName={names}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """`good` names 127.0.0.1 (the test server's address), `other` a different host."""
    folder = tmp_path_factory.mktemp("certs")
    return SimpleNamespace(good=make_certificate(folder, "good", "IP:127.0.0.1,DNS:localhost"),
                           other=make_certificate(folder, "other", "DNS:mail.example.gov.cn"))


@pytest.fixture
def tls_smtp():
    """Start a real SMTP server: `start(mode, certificate)` with mode "starttls", "implicit" or
    "plain"; it takes AUTH banli / s3cret. `.received` holds the envelope recipients,
    `.logins` every AUTH attempt (login, whether the session was encrypted)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    started = []

    def start(mode: str, certificate=None):
        server = SimpleNamespace(received=[], logins=[])

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):
                server.received.append(list(envelope.rcpt_tos))
                return "250 OK"

        def authenticator(smtp, session, envelope, mechanism, auth_data):
            encrypted = session.ssl is not None or smtp.transport.get_extra_info("ssl_object") is not None
            server.logins.append((auth_data.login.decode(), encrypted))
            return AuthResult(success=auth_data.login == b"banli" and auth_data.password == b"s3cret")

        context = None
        if certificate:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*certificate)
        # aiosmtpd counts only STARTTLS as TLS for `auth_require_tls`; implicit TLS is TLS all along
        options = {"authenticator": authenticator, "auth_require_tls": mode == "starttls"}
        if mode == "starttls":
            options.update(tls_context=context)
        elif mode == "implicit":
            options.update(ssl_context=context)
        controller = Controller(Handler(), hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        started.append(controller)
        server.port = controller.port
        return server

    yield start
    for controller in started:
        controller.stop()


def email_config(config, port: int, *lines: str):
    return config('channels = ["email"]', "max_attempts = 3", "[notify.email]", 'host = "127.0.0.1"', f"port = {port}",
                  SENDER, *lines)


def test_starttls_with_the_countys_own_ca_logs_in_over_tls_and_delivers(store, emails, remind, config, tls_smtp,
                                                                        certificates):
    remind("supervisor")
    server = tls_smtp("starttls", certificates.good)
    settings = email_config(config, server.port, 'tls = "starttls"', f'cafile = "{certificates.good[0]}"',
                            'username = "banli"', 'password = "s3cret"')

    assert deliver(store, settings, NOW) == {"sent": 1, "failed": 0, "retrying": 0, "pending": 0}
    assert server.received == [["wang@xiping.gov.cn"]]
    assert server.logins == [("banli", True)]


def test_implicit_tls_delivers(store, emails, remind, config, tls_smtp, certificates):
    remind("supervisor")
    server = tls_smtp("implicit", certificates.good)
    settings = email_config(config, server.port, 'tls = "implicit"', f'cafile = "{certificates.good[0]}"',
                            'username = "banli"', 'password = "s3cret"')

    assert deliver(store, settings, NOW)["sent"] == 1, list_deliveries(store)[0]["last_error"]
    assert server.received == [["wang@xiping.gov.cn"]] and server.logins == [("banli", True)]


@pytest.mark.parametrize("certificate, cafile, expected", [
    ("good", None, "certificate verify failed"),  # self-signed, and not in the system's CAs
    ("other", "other", "certificate verify failed"),  # trusted, but for another host name
], ids=["untrusted", "wrong-host"])
def test_a_certificate_that_does_not_check_out_sends_nothing_and_is_retried_up_to_the_cap(
        store, emails, remind, config, tls_smtp, certificates, certificate, cafile, expected):
    remind("supervisor")
    server = tls_smtp("starttls", getattr(certificates, certificate))
    lines = ['tls = "starttls"', 'username = "banli"', 'password = "s3cret"']
    if cafile:
        lines.append(f'cafile = "{getattr(certificates, cafile)[0]}"')
    settings = email_config(config, server.port, *lines)

    assert deliver(store, settings, NOW)["retrying"] == 1
    (row,) = list_deliveries(store)
    assert expected in row["last_error"].lower() and row["status"] == "pending"
    deliver(store, settings, NOW + timedelta(minutes=1))
    assert deliver(store, settings, NOW + timedelta(minutes=5))["failed"] == 1  # max_attempts = 3
    assert server.received == [] and server.logins == []


def test_credentials_are_never_sent_over_a_plain_connection(store, emails, remind, config, tls_smtp):
    remind("supervisor")
    server = tls_smtp("plain")  # advertises AUTH without TLS, and no STARTTLS

    with pytest.raises(InvalidInput, match=r"notify\.email: username without TLS would send the password in plain"):
        email_config(config, server.port, 'tls = "none"', 'username = "banli"', 'password = "s3cret"')
    # STARTTLS asked for, the server does not offer it: nothing is sent, the password least of all
    settings = email_config(config, server.port, 'tls = "starttls"', 'username = "banli"', 'password = "s3cret"')
    assert deliver(store, settings, NOW)["retrying"] == 1
    assert "starttls" in list_deliveries(store)[0]["last_error"].lower()
    assert server.logins == [] and server.received == []


def test_the_channel_itself_refuses_auth_without_tls(store, emails, remind, tls_smtp):
    """Settings built around the config check (e.g. by a program) still never log in in plain text."""
    from banli.config import EmailSettings
    from banli.notify.channels import EmailChannel, Message, SendFailed

    server = tls_smtp("plain")
    channel = EmailChannel(EmailSettings.model_construct(host="127.0.0.1", port=server.port, tls="none",
                                                         username="banli", password="s3cret"))
    message = Message(key="k", item_id=None, ref=REF, recipient="wang", recipient_name="王明",
                      email="wang@xiping.gov.cn", subject="s", body="b", created_at=NOW)
    with pytest.raises(SendFailed, match="refusing to send the SMTP password without TLS"):
        channel.send(message, NOW)
    channel.close()
    assert server.logins == []


def test_plain_auth_when_the_operator_allows_it(store, emails, remind, config, tls_smtp):
    remind("supervisor")
    server = tls_smtp("plain")
    settings = email_config(config, server.port, 'tls = "none"', "allow_plaintext_auth = true",
                            'username = "banli"', 'password = "s3cret"')
    assert deliver(store, settings, NOW)["sent"] == 1
    assert server.logins == [("banli", False)]


@pytest.mark.parametrize("lines, tls", [
    ([], "none"),
    (['username = "banli"'], "starttls"),
    (["port = 465", 'username = "banli"'], "implicit"),
    (["starttls = true"], "starttls"),  # the old spelling
    (["starttls = false"], "none"),
    (['tls = "implicit"', "port = 2465"], "implicit"),
], ids=["no-username", "username", "port-465", "old-starttls", "old-no-starttls", "explicit"])
def test_the_tls_setting_and_its_default(config, lines, tls):
    assert config("[notify.email]", *lines).notify.email.tls == tls


@pytest.mark.parametrize("lines, expected", [
    (["starttls = true", 'tls = "implicit"'], "notify.email: starttls = true contradicts tls = 'implicit'"),
    (['tls = "ssl"'], "notify.email.tls: Input should be 'starttls', 'implicit' or 'none'"),
    (['cafile = "missing-ca.pem"'], "notify.email.cafile: "),
    (['cafile = "banli.toml"'], "holds no PEM CA certificate"),
], ids=["contradiction", "unknown-mode", "missing-cafile", "not-pem"])
def test_tls_setting_errors_are_one_clear_line(config, tmp_path, lines, expected):
    with pytest.raises(InvalidInput) as caught:
        config("[notify.email]", *lines)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_a_cafile_is_read_relative_to_the_config_file(config, tmp_path, certificates):
    (tmp_path / "ca.pem").write_bytes(certificates.good[0].read_bytes())
    assert config("[notify.email]", 'cafile = "ca.pem"').smtp_cafile() == tmp_path / "ca.pem"


# -- permanent and transient failures ----------------------------------------------------------


@pytest.mark.parametrize("status, outcome", [
    (400, "failed"), (410, "failed"), (429, "retrying"), (503, "retrying"), (408, "retrying"),
])
def test_a_webhooks_4xx_is_given_up_at_once_and_shown_by_notify_list(store, remind, config, http_server, status,
                                                                      outcome):
    remind("supervisor")
    hook = http_server([status])
    settings = config('channels = ["webhook"]', f'[notify.webhook]\nurl = "{hook.url}"')

    assert deliver(store, settings, NOW)[outcome] == 1
    assert deliver(store, settings, NOW + timedelta(hours=2))["sent"] == (1 if outcome == "retrying" else 0)

    assert len(hook.requests) == (2 if outcome == "retrying" else 1)
    (row,) = list_deliveries(store)
    if outcome == "failed":
        assert (row["status"], row["attempts"]) == ("failed", 1)
        assert row["last_error"].startswith(f"HTTP {status} ")
        assert list_deliveries(store, status="failed") == [row]
    else:
        assert row["status"] == "sent"


@pytest.mark.parametrize("answer, outcome", [
    ("554 5.7.1 Message rejected", "failed"),
    ("451 4.3.0 Try again later", "retrying"),
], ids=["5xx", "4xx"])
def test_smtp_5xx_is_given_up_at_once_and_4xx_is_retried(store, emails, remind, config, answer, outcome):
    from aiosmtpd.controller import Controller

    class Refuses:
        async def handle_DATA(self, server, session, envelope):
            return answer

    remind("supervisor")
    controller = Controller(Refuses(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        counts = deliver(store, email_config(config, controller.port), NOW)
    finally:
        controller.stop()
    assert counts[outcome] == 1
    (row,) = list_deliveries(store)
    assert row["last_error"] == f"SMTP {answer}"
    assert row["status"] == ("failed" if outcome == "failed" else "pending")


@pytest.mark.parametrize("address", ["wang.xiping.gov.cn", "wang@", "a b@xiping.gov.cn", "wang@x.cn, li@y.cn",
                                     "wang@x.cn\r\nBcc: all@x.cn"])
def test_a_malformed_address_fails_at_once_without_reaching_the_server(store, config, smtp_server, address):
    ghost = SimpleNamespace(id="ghost", name="无名", email=address)  # not in the org file: its own address is used
    with store.engine.begin() as connection:
        enqueue(connection, cause="remind:x", people=[ghost], item_id=None, ref=REF, subject="s", body="b",
                at="2026-09-01T00:00:00.000000")

    counts = deliver(store, email_config(config, smtp_server.port), NOW)

    assert counts == {"sent": 0, "failed": 1, "retrying": 0, "pending": 0}
    (row,) = list_deliveries(store, status="failed")
    assert row["last_error"].startswith("bad e-mail address") and "\n" not in row["last_error"]
    assert smtp_server.received == []


# -- batches -------------------------------------------------------------------------------


def test_delivery_takes_a_few_statements_per_batch_not_per_message(store, remind, config, tmp_path):
    from sqlalchemy import event

    for number in range(1200):
        remind("supervisor", cause=f"remind:16-1-{number:04}:overdue:0")
    settings = config("batch = 500", '[notify.log]\nfile = "sent.log"')
    statements = []

    def count(*args) -> None:
        statements.append(args[2])

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        assert deliver(store, settings, NOW)["sent"] == 1200
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    # 3 claims (2 with work) of at most 3 statements, 2 records, 1 count; per message this was 3,600
    assert len(statements) <= 30
    keys = [json.loads(line)["key"] for line in (tmp_path / "sent.log").read_text(encoding="utf-8").splitlines()]
    assert len(keys) == len(set(keys)) == 1200


def test_an_interrupted_run_records_what_it_sent_and_the_next_sends_only_the_rest(
        store, remind, config, tmp_path, monkeypatch):
    from banli.notify import worker

    for number in range(10):
        remind("supervisor", cause=f"remind:16-1-{number:03}:overdue:0")
    settings = config('lease = "10 minutes"', '[notify.log]\nfile = "sent.log"')
    opened = worker.open_channels

    def interrupted(config_):
        channels = opened(config_)
        log, sent = channels["log"], []

        def send(message, now):
            if len(sent) == 4:
                raise KeyboardInterrupt  # Ctrl-C half-way through the batch
            log.__class__.send(log, message, now)
            sent.append(message.key)

        log.send = send
        return channels

    monkeypatch.setattr(worker, "open_channels", interrupted)
    with pytest.raises(KeyboardInterrupt):
        deliver(store, settings, NOW)
    monkeypatch.setattr(worker, "open_channels", opened)

    assert len(list_deliveries(store, status="sent")) == 4
    assert deliver(store, settings, NOW + timedelta(minutes=11))["sent"] == 6  # after the lease
    keys = [json.loads(line)["key"] for line in (tmp_path / "sent.log").read_text(encoding="utf-8").splitlines()]
    assert len(keys) == len(set(keys)) == 10


# -- keys ----------------------------------------------------------------------------------


def test_an_over_long_key_fits_its_column_stays_unique_and_idempotent(store):
    from sqlalchemy import select

    from banli.store.schema import notification_t

    person = SimpleNamespace(id="p" * 64, name="王明", email=None)
    long_ref = "R" * 128
    causes = [f"{long_ref}#12#campaign:{'c' * 64}:0", f"{long_ref}#12#campaign:{'c' * 64}:1"]
    with store.engine.begin() as connection:
        for cause in causes:
            assert enqueue(connection, cause=cause, people=[person], item_id=None, ref=long_ref, subject="s",
                           body="b", at="2026-09-01T00:00:00.000000") == 1
        assert enqueue(connection, cause=causes[0], people=[person], item_id=None, ref=long_ref, subject="s",
                       body="b", at="2026-09-01T00:00:00.000000") == 0  # the same cause again: not written twice
        keys = connection.execute(select(notification_t.c.key)).scalars().all()
    assert len(keys) == len(set(keys)) == 2
    assert all(len(key) == 200 and key.startswith(long_ref) for key in keys)


# -- the command ---------------------------------------------------------------------------


def test_notify_retry_queues_failed_deliveries_again(store, db_url, remind, config, http_server, tmp_path,
                                                     monkeypatch):
    """A webhook that refused (4xx) is given up; once the receiver is fixed, `notify retry` sends it."""
    from click.testing import CliRunner

    from banli.cli import Settings
    from banli.cli.notify import notify

    remind("supervisor")
    hook = http_server([410])
    (tmp_path / "banli.toml").write_text(f'[notify]\nchannels = ["webhook"]\n[notify.webhook]\nurl = "{hook.url}"\n',
                                         encoding="utf-8")
    monkeypatch.setenv("BANLI_CONFIG", str(tmp_path / "banli.toml"))
    settings = Settings(db_url, None, False)
    runner = CliRunner()
    try:
        first = runner.invoke(notify, ["deliver", "--json"], obj=settings, catch_exceptions=False)
        listed = runner.invoke(notify, ["list", "--status", "failed"], obj=settings, catch_exceptions=False)
        retried = runner.invoke(notify, ["retry", "--json"], obj=settings, catch_exceptions=False)
        second = runner.invoke(notify, ["deliver", "--json"], obj=settings, catch_exceptions=False)
        again = runner.invoke(notify, ["retry"], obj=settings, catch_exceptions=False)
    finally:
        settings.store.close()

    assert json.loads(first.stdout)["failed"] == 1
    assert "failed" in listed.stdout and "HTTP 410" in listed.stdout
    assert json.loads(retried.stdout) == {"requeued": 1}
    assert json.loads(second.stdout) == {"sent": 1, "failed": 0, "retrying": 0, "pending": 0}
    assert again.stdout.strip() == "0 failed deliveries queued again"
    assert [request["status"] for request in hook.requests] == [410, 200]
