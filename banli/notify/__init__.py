"""Notifications leave the outbox here: `deliver` sends what is due through the channels
configured in banli.toml, with retries and back-off (SPEC §2 "Notification")."""

from banli.notify.channels import Message, SendFailed
from banli.notify.worker import deliver, list_deliveries, retry_failed

__all__ = ["Message", "SendFailed", "deliver", "list_deliveries", "retry_failed"]
