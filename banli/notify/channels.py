"""Channels: how one message leaves banli (`log`, `email` over SMTP, `webhook` over HTTP POST).

A channel either returns (sent) or raises `SendFailed`, permanent (a refused address, a
webhook's 4xx) or worth retrying (a server down or busy). Each message carries its outbox key,
so a receiver can drop a copy sent again after a crash: e-mail as a deterministic
`Message-ID`, the webhook as an `Idempotency-Key` header. E-mail never sends credentials
without TLS (unless the operator allowed it), and checks the server's certificate.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Protocol

from banli.config import Config, EmailSettings, WebhookSettings
from banli.engine.times import from_utc_text
from banli.i18n import _


@dataclass(frozen=True, kw_only=True)
class Message:
    """One notification on its way to one person."""

    key: str
    item_id: int | None
    ref: str
    recipient: str
    recipient_name: str
    email: str | None
    subject: str
    body: str
    created_at: datetime

    @classmethod
    def from_row(cls, row) -> "Message":
        return cls(key=row.key, item_id=row.item_id, ref=row.ref, recipient=row.recipient,
                   recipient_name=row.recipient_name, email=row.email or None, subject=row.subject, body=row.body,
                   created_at=from_utc_text(row.created_at))

    @property
    def who(self) -> str:
        return f"{self.recipient_name} ({self.recipient})" if self.recipient_name else self.recipient


class SendFailed(Exception):
    """A message could not be sent; `permanent` ones are not tried again."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = " ".join(reason.split())[:500]  # one line in `notify list`
        self.permanent = permanent


class Channel(Protocol):
    name: str
    # True: a message sent is recorded at once, so a crash repeats at most one (the network
    # costs more than the write); False: outcomes are recorded a batch at a time
    record_each: bool

    def send(self, message: Message, now: datetime) -> None: ...

    def close(self) -> None: ...


class LogChannel:
    """Appends one JSON line per message to a file (or stderr): for trials and for the record."""

    name = "log"
    record_each = False

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._out = None  # opened at the first message, line-buffered: a line sent is a line written

    def send(self, message: Message, now: datetime) -> None:
        line = json.dumps({"at": now.isoformat(), "key": message.key, "ref": message.ref,
                           "recipient": message.recipient, "name": message.recipient_name,
                           "subject": message.subject, "body": message.body}, ensure_ascii=False) + "\n"
        if self.file is None:
            sys.stderr.write(line)
            return
        try:
            if self._out is None:
                self._out = self.file.open("a", encoding="utf-8", buffering=1)
            self._out.write(line)
        except OSError as exc:
            self.close()
            raise SendFailed(_("cannot append to {file}: {reason}").format(
                file=self.file, reason=exc.strerror or exc)) from exc

    def close(self) -> None:
        if self._out is not None:
            out, self._out = self._out, None
            try:
                out.close()
            except OSError:
                pass


def message_id(key: str, sender: str) -> str:
    """The same `Message-ID` for every copy of one notification."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "banli.invalid"
    return f"<banli.{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


class EmailChannel:
    """SMTP, one connection per delivery run; UTF-8 subject and body (Chinese is the norm).

    `tls`: "starttls" (STARTTLS on a plain connection), "implicit" (TLS from the first byte,
    SMTP_SSL) or "none"; the certificate is checked against the system's CAs or `cafile`.
    If the server cannot be reached (or its certificate is not trusted), the rest of the run's
    messages fail at once with the same reason instead of each waiting for its own time-out;
    they are retried like any transient failure.
    """

    name = "email"
    record_each = True

    def __init__(self, settings: EmailSettings, cafile: Path | None = None) -> None:
        self.settings = settings
        self.cafile = cafile
        self._smtp: smtplib.SMTP | None = None
        self._down: str | None = None

    def build(self, message: Message, now: datetime) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.settings.sender
        mail["To"] = formataddr((message.recipient_name, message.email))
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(now)
        mail["Message-ID"] = message_id(message.key, self.settings.sender)
        if message.ref:
            mail["X-Banli-Ref"] = message.ref
        mail.set_content(message.body, charset="utf-8", cte="base64")
        return mail

    def send(self, message: Message, now: datetime) -> None:
        if not message.email:
            raise SendFailed(_("no e-mail address for {person}; add 'email:' to the organisation file").format(
                person=message.who), permanent=True)
        problem = address_problem(message.email)
        if problem:
            raise SendFailed(_("bad e-mail address {address} for {person}: {problem}; "
                               "correct it in the organisation file").format(
                address=repr(message.email), person=message.who, problem=problem), permanent=True)
        if self._down:
            raise SendFailed(self._down)
        mail = self.build(message, now)
        try:
            smtp = self._connection()
        except (smtplib.SMTPException, OSError) as exc:
            self._down = f"SMTP {self.settings.host}:{self.settings.port}: {_reason(exc)}"
            raise SendFailed(self._down) from exc
        try:
            smtp.send_message(mail, from_addr=parseaddr(self.settings.sender)[1],
                                            to_addrs=[message.email])
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, reply = next(iter(exc.recipients.values()))
            raise SendFailed(_("SMTP refused {address}: {code} {reply}").format(
                address=message.email, code=code, reply=_text(reply)), permanent=code >= 500) from exc
        except smtplib.SMTPResponseException as exc:  # 5xx: the server will not take it; 4xx: try later
            self.close()
            raise SendFailed(f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise SendFailed(f"SMTP {self.settings.host}:{self.settings.port}: {_reason(exc)}") from exc

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            s = self.settings
            context = ssl.create_default_context(cafile=str(self.cafile) if self.cafile else None)
            if s.tls == "implicit":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                if s.tls == "starttls":
                    smtp.starttls(context=context)  # refused by the server: SMTPNotSupportedError, nothing sent
                if s.username:
                    if not isinstance(smtp.sock, ssl.SSLSocket) and not s.allow_plaintext_auth:
                        raise smtplib.SMTPException(_("refusing to send the SMTP password without TLS: "
                                                      'set tls = "starttls" or "implicit" in [notify.email]'))
                    smtp.login(s.username, s.password)
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST is not a delivery: let it fail as its 3xx status."""

    def redirect_request(self, *args, **kwargs):
        return None


class WebhookChannel:
    """HTTP POST of the message as JSON; 2xx is sent; a 4xx other than 408 and 429 is a
    permanent failure (the receiver will not take this message); anything else is retried.

    Once the endpoint cannot be reached at all, the rest of the run's messages fail at once.
    """

    name = "webhook"
    record_each = True

    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self._opener = urllib.request.build_opener(_NoRedirects)
        self._down: str | None = None

    def send(self, message: Message, now: datetime) -> None:
        if self._down:
            raise SendFailed(self._down)
        payload = {"key": message.key, "ref": message.ref, "recipient": message.recipient,
                   "recipient_name": message.recipient_name, "subject": message.subject, "body": message.body,
                   "created_at": message.created_at.isoformat()}
        request = urllib.request.Request(
            self.settings.url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "banli",
                     "Idempotency-Key": f"{message.key}:{self.name}"})
        try:
            with self._opener.open(request, timeout=self.settings.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise SendFailed(_("HTTP {code} {reason} from {url}").format(
                code=exc.code, reason=exc.reason, url=self.settings.url), permanent=exc.code in PERMANENT_HTTP) from exc
        except (urllib.error.URLError, OSError) as exc:
            self._down = f"POST {self.settings.url}: {_reason(getattr(exc, 'reason', exc))}"
            raise SendFailed(self._down) from exc

    def close(self) -> None:
        pass


# 408 Request Timeout and 429 Too Many Requests are worth another try; other 4xx are not
PERMANENT_HTTP = frozenset(range(400, 500)) - {408, 429}


def address_problem(address: str) -> str | None:
    """Why `address` cannot go in an SMTP envelope, or None if it can."""
    local, at, domain = address.rpartition("@")
    if not (local and at and domain):
        return _("not of the form name@domain")
    try:
        Address(addr_spec=address)
    except Exception as exc:  # the parser raises several kinds (HeaderParseError, ValueError, …)
        return str(exc).rstrip(")") or _("not an address")
    if not address.isascii():
        return _("not ASCII (write the domain as punycode, xn--…)")
    return None


def _reason(exc: object) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def open_channels(config: Config) -> dict[str, Channel]:
    """The configured channels, by name."""
    makers = {
        "log": lambda: LogChannel(config.log_file()),
        "email": lambda: EmailChannel(config.notify.email, config.smtp_cafile()),
        "webhook": lambda: WebhookChannel(config.notify.webhook),
    }
    return {name: makers[name]() for name in config.notify.channels}
