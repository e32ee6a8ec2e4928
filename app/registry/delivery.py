"""Delivering outbox events to the member registry and e支部: signed POSTs, retried with exponential back-off.

Each attempt first *claims* the row (one conditional UPDATE, committed before the HTTP call, which also
pushes its next attempt out by a lease), so two workers never send the same row at once and a worker that
dies mid-call leaves the row to be retried after the lease. The registry may still see an event twice (a
timeout after it stored it): the ``Idempotency-Key`` header, the event's own key, lets it answer the repeat
without acting twice.

Each row goes to its destination's URL, signed with that destination's key (``ENDPOINTS``): the member
registry (``REGISTRY_URL``/``REGISTRY_SECRET``) or e支部 (``ESTATION_URL``/``ESTATION_SECRET``). A row whose
destination is not configured waits as pending. Headers of every POST:
  Idempotency-Key: <event_id>        X-Registry-Event: <type>
  X-Registry-Signature: sha256=<hex HMAC-SHA256 of the raw body with the destination's secret>
"""
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.jobs.queue import end_transaction
from app.registry.models import RegistryEvent
from app.timeutil import utcnow
from app.vocab.statuses import DELIVERY

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
SIGNATURE_HEADER = "X-Registry-Signature"
# destination → (config key of its URL, config key of its HMAC secret)
ENDPOINTS = {"registry": ("REGISTRY_URL", "REGISTRY_SECRET"), "estation": ("ESTATION_URL", "ESTATION_SECRET")}


def endpoint(destination: str) -> tuple[str, str] | None:
    """(URL, secret) a destination's events are sent to and signed with, or None when it is not configured."""
    url_key, secret_key = ENDPOINTS[destination]
    url = current_app.config.get(url_key)
    return (url, current_app.config.get(secret_key, "")) if url else None


def configured() -> list[str]:
    """The destinations with a URL."""
    return [name for name in ENDPOINTS if endpoint(name)]


def body_of(payload: dict) -> bytes:
    """The exact bytes sent (and signed) for an event."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` + hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: base · 2^(attempts-1), at most six hours."""
    base = timedelta(seconds=current_app.config["REGISTRY_RETRY_BASE"])
    return min(base * (2 ** max(0, attempts - 1)), MAX_BACKOFF)


def due_ids(now: datetime, limit: int = 100) -> list[int]:
    """Pending events whose next attempt is due, oldest first."""
    return list(db.session.scalars(
        sa.select(RegistryEvent.id).where(RegistryEvent.status == "pending", RegistryEvent.next_attempt_at <= now,
                                          RegistryEvent.destination.in_(configured()))
        .order_by(RegistryEvent.next_attempt_at, RegistryEvent.id).limit(limit)))


def _claim(event_id: int, now: datetime) -> bool:
    table = RegistryEvent.__table__
    result = db.session.execute(
        sa.update(table).where(table.c.id == event_id, table.c.status == "pending", table.c.next_attempt_at <= now)
        .values(attempts=table.c.attempts + 1, next_attempt_at=now + LEASE))
    end_transaction()
    return result.rowcount == 1


def _post(row: RegistryEvent, url: str, secret: str) -> str:
    """Send one event; '' when the receiver accepted it (2xx), else what went wrong."""
    body = body_of(row.payload)
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "Idempotency-Key": row.key,
        "X-Registry-Event": row.kind, SIGNATURE_HEADER: sign(secret, body)})
    try:
        with urllib.request.urlopen(request, timeout=current_app.config["REGISTRY_TIMEOUT"]) as response:
            response.read()
        return ""
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}: {exc.read(200).decode('utf-8', 'replace')}"
    except (urllib.error.URLError, OSError) as exc:
        return f"连接失败：{getattr(exc, 'reason', exc)}"


def deliver(event_id: int, now: datetime | None = None) -> str | None:
    """One attempt at one event if it is due; returns its status afterwards (None if not attempted)."""
    now = now or utcnow()
    destination = db.session.scalar(sa.select(RegistryEvent.destination).where(RegistryEvent.id == event_id))
    target = endpoint(destination) if destination else None
    if target is None or not _claim(event_id, now):
        return None
    row = db.session.get(RegistryEvent, event_id)
    error = _post(row, *target)
    if not error:
        DELIVERY.move(row, "deliver")
        row.delivered_at, row.last_error = utcnow(), ""
    else:
        row.last_error = error[:500]
        if row.attempts >= current_app.config["REGISTRY_MAX_ATTEMPTS"]:
            DELIVERY.move(row, "give_up")
        else:
            row.next_attempt_at = now + backoff(row.attempts)
    end_transaction()
    return row.status


def deliver_due(now: datetime | None = None) -> int:
    """Attempt every due event; returns how many were delivered."""
    now = now or utcnow()
    return sum(deliver(event_id, now) == "delivered" for event_id in due_ids(now))
