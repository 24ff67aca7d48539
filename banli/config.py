"""banli.toml: the operator's settings for notification channels, the scheduler and the daily
checkpoint of the trace.

Read from `$BANLI_CONFIG`, else `./banli.toml`; without a file every setting has its
default (one channel, `log`). Checked with pydantic: any problem is one InvalidInput line
naming the file and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from banli.errors import InvalidInput
from banli.i18n import _

DEFAULT_FILE = "banli.toml"

_INTERVAL = re.compile(r"^\s*(\d+)\s*(second|minute|hour|day)s?\s*$")
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_interval(text: object) -> timedelta:
    """`N seconds|minutes|hours|days` → a timedelta (clock time, not workdays)."""
    match = _INTERVAL.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) == 0:
        raise ValueError(_("bad interval {text}: write it as 'N seconds|minutes|hours|days' with N > 0, e.g. "
                           "'5 minutes'").format(text=repr(text)))
    return timedelta(seconds=int(match.group(1)) * _SECONDS[match.group(2)])


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


TlsMode = Literal["starttls", "implicit", "none"]


class EmailSettings(_Section):
    """[notify.email]. Credentials never cross the network in plain text: with a `username`,
    `tls` must be "starttls" or "implicit" unless `allow_plaintext_auth = true`."""

    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = "banli@localhost"
    # default: "implicit" on port 465 (RFC 8314), else "starttls" with a username, else "none"
    tls: TlsMode = "none"
    starttls: bool | None = None  # the old spelling: `starttls = true` is `tls = "starttls"`
    cafile: str = ""  # PEM file of the CA certificates to trust (relative to the config file's folder); "" = the system's
    allow_plaintext_auth: bool = False
    username: str = ""
    password: str = ""  # or env BANLI_SMTP_PASSWORD, so the file need not hold it
    timeout: float = Field(default=30, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _tls_mode(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("tls") is not None:
            if isinstance(data, dict) and data.get("starttls") is not None \
                    and (data["starttls"] is True) != (data["tls"] == "starttls"):
                raise ValueError(_("starttls = {starttls} contradicts tls = {tls}: keep only tls").format(
                    starttls=str(data["starttls"]).lower(), tls=repr(data["tls"])))
            return data
        if data.get("starttls") is not None:
            tls = "starttls" if data["starttls"] is True else "none"
        elif data.get("port") == 465:
            tls = "implicit"
        else:
            tls = "starttls" if data.get("username") else "none"
        return {**data, "tls": tls}

    @model_validator(mode="after")
    def _credentials(self) -> "EmailSettings":
        if self.username and self.tls == "none" and not self.allow_plaintext_auth:
            raise ValueError(_('username without TLS would send the password in plain text: set tls = "starttls" '
                               'or "implicit" (or allow_plaintext_auth = true on a trusted network)'))
        if not self.password and os.environ.get("BANLI_SMTP_PASSWORD"):
            return self.model_copy(update={"password": os.environ["BANLI_SMTP_PASSWORD"]})
        return self


class WebhookSettings(_Section):
    url: str = ""
    timeout: float = Field(default=10, gt=0)

    @field_validator("url")
    @classmethod
    def _http(cls, url: str) -> str:
        if url and not url.startswith(("http://", "https://")):
            raise ValueError(_("{url} is not an http:// or https:// URL").format(url=repr(url)))
        return url


class LogSettings(_Section):
    file: str = "banli-notifications.log"  # relative to the config file's folder; "-" is stderr


def _interval_field(default: str):
    return Field(default=parse_interval(default))


class NotifySettings(_Section):
    channels: list[Literal["log", "email", "webhook"]] = ["log"]
    max_attempts: int = Field(default=8, ge=1)
    backoff: timedelta = _interval_field("1 minutes")  # doubles after each failed attempt …
    backoff_max: timedelta = _interval_field("1 hours")  # … up to this
    lease: timedelta = _interval_field("10 minutes")  # how long a worker holds the deliveries it claimed
    # deliveries claimed at once; the lease must outlast sending a batch through the slowest channel
    batch: int = Field(default=500, ge=1)
    email: EmailSettings = EmailSettings()
    webhook: WebhookSettings = WebhookSettings()
    log: LogSettings = LogSettings()

    @field_validator("backoff", "backoff_max", "lease", mode="before")
    @classmethod
    def _interval(cls, value: object) -> timedelta:
        return value if isinstance(value, timedelta) else parse_interval(value)

    @field_validator("channels")
    @classmethod
    def _once_each(cls, channels: list[str]) -> list[str]:
        if len(set(channels)) != len(channels):
            raise ValueError(_("a channel is listed twice"))
        return channels

    @model_validator(mode="after")
    def _complete(self) -> "NotifySettings":
        if "webhook" in self.channels and not self.webhook.url:
            raise ValueError(_("the webhook channel needs [notify.webhook] url"))
        return self


class SchedulerSettings(_Section):
    sweep_every: timedelta = _interval_field("5 minutes")
    deliver_every: timedelta = _interval_field("1 minutes")
    bulletin: str = "0 8 1 * *"  # crontab: the month's bulletin (通报) at 08:00 on the 1st; "" for none
    bulletin_dir: str = "bulletins"  # relative to the config file's folder

    @field_validator("bulletin")
    @classmethod
    def _crontab(cls, value: str) -> str:
        if value:
            from apscheduler.triggers.cron import CronTrigger

            CronTrigger.from_crontab(value)  # raises ValueError with the reason
        return value

    @field_validator("sweep_every", "deliver_every", mode="before")
    @classmethod
    def _interval(cls, value: object) -> timedelta:
        return value if isinstance(value, timedelta) else parse_interval(value)


class AuditSettings(_Section):
    # crontab: the day's checkpoint of the trace at 00:30, a JSON line added to checkpoint_file
    # (relative to the config file's folder), for the operator to publish; "" for none
    checkpoint: str = "30 0 * * *"
    checkpoint_file: str = "banli-checkpoints.jsonl"

    @field_validator("checkpoint")
    @classmethod
    def _crontab(cls, value: str) -> str:
        return SchedulerSettings._crontab(value)


class Config(_Section):
    notify: NotifySettings = NotifySettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    audit: AuditSettings = AuditSettings()
    _folder: Path = PrivateAttr(default=Path("."))  # where relative paths in the file start from

    def bulletin_folder(self) -> Path:
        return self._folder / self.scheduler.bulletin_dir

    def checkpoint_file(self) -> Path:
        return self._folder / self.audit.checkpoint_file

    def smtp_cafile(self) -> Path | None:
        """The CA certificates [notify.email] trusts; None means the system's."""
        return self._folder / self.notify.email.cafile if self.notify.email.cafile else None

    def log_file(self) -> Path | None:
        """The log channel's file; None means stderr."""
        name = self.notify.log.file
        return None if name == "-" else self._folder / name


def config_path(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get("BANLI_CONFIG") or DEFAULT_FILE)


def load_config(path: str | Path | None = None) -> Config:
    """The settings in `path` (default `$BANLI_CONFIG` or `./banli.toml`); defaults if the default file is absent."""
    explicit = path is not None or bool(os.environ.get("BANLI_CONFIG"))
    file = config_path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        if explicit:
            if path is None:
                raise InvalidInput(_("config file {file} not found (from BANLI_CONFIG)").format(file=file)) from exc
            raise InvalidInput(_("config file {file} not found (from the caller)").format(file=file)) from exc
        return Config()
    except UnicodeDecodeError as exc:
        raise InvalidInput(_("{file}: not UTF-8 text").format(file=file)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(_("{file}: not valid TOML: {reason}").format(file=file, reason=exc)) from exc
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(f"{file}: {_describe(exc)}") from exc
    config._folder = file.parent
    _check_cafile(config, file)
    return config


def _check_cafile(config: Config, file: Path) -> None:
    """A CA file that is missing or not PEM certificates fails here, not at the first e-mail."""
    cafile = config.smtp_cafile()
    if cafile is None:
        return
    import ssl

    try:
        ssl.create_default_context(cafile=str(cafile))
    except FileNotFoundError as exc:
        raise InvalidInput(_("{file}: notify.email.cafile: {cafile} not found").format(
            file=file, cafile=cafile)) from exc
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise InvalidInput(_("{file}: notify.email.cafile: {cafile} holds no PEM CA certificate ({reason})").format(
            file=file, cafile=cafile, reason=exc)) from exc


def _describe(exc: ValidationError) -> str:
    """The first problem as `key.path: message`, unknown keys with the allowed ones."""
    first = exc.errors()[0]
    loc = [str(part) for part in first["loc"] if not isinstance(part, int)]
    index = "".join(f"[{part}]" for part in first["loc"] if isinstance(part, int))
    if first["type"] == "extra_forbidden":
        allowed = _fields_at(loc[:-1])
        message = _("unknown key; allowed: {keys}").format(keys=", ".join(allowed))
    else:
        message = first["msg"].removeprefix("Value error, ")
    where = (".".join(loc) or _("(top level)")) + index
    more = exc.error_count() - 1
    if more:
        message = _("{problem} (and {more} more)").format(problem=message, more=more)
    return f"{where}: {message}"


def _fields_at(loc: list[str]) -> list[str]:
    model: type[BaseModel] = Config
    for part in loc:
        annotation = model.model_fields[part].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    return list(model.model_fields)
