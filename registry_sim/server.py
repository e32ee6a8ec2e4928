"""The simulator's HTTP side: a small Flask app over one SQLite file (standard library only besides Flask)."""
import hashlib
import hmac
import json
import sqlite3
import threading
from datetime import datetime, timezone

from flask import Flask, jsonify, request

SIGNATURE_HEADER = "X-Registry-Signature"
# One table per receiver: the registry's events, and the e支部 notices (its own path and secret).
_TABLES = {"registry": "event", "estation": "notice_event"}
_SCHEMA = "".join(f"""
CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, type TEXT NOT NULL, body TEXT NOT NULL,
                                  received_at TEXT NOT NULL, deliveries INTEGER NOT NULL DEFAULT 1);""" for table in
                  _TABLES.values()) + """
CREATE TABLE IF NOT EXISTS control (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def expected_signature(secret: str, body: bytes) -> str:
    """What the header must say for ``body``: ``sha256=`` + hex HMAC-SHA256 with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def create_app(secret: str, database: str, estation_secret: str | None = None) -> Flask:
    """The simulator app: registry events (``POST /events``) are verified with ``secret``, e支部 notices
    (``POST /estation/notices``) with ``estation_secret`` (default: the same), all stored in ``database``."""
    app = Flask("registry_sim")
    app.json.ensure_ascii = False  # readable Chinese in answers (and in the sender's last error)
    lock = threading.Lock()  # one writer at a time (the server is threaded)
    secrets = {"registry": secret, "estation": estation_secret or secret}

    def connect():
        conn = sqlite3.connect(database, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    with connect() as conn:
        conn.executescript(_SCHEMA)

    def receive(receiver: str):
        body = request.get_data()
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given, expected_signature(secrets[receiver], body)):
            return jsonify(error="签名无效"), 401
        try:
            event = json.loads(body)
        except ValueError:
            return jsonify(error="请求体不是JSON"), 400
        key = request.headers.get("Idempotency-Key", "")
        if not key or key != event.get("event_id"):
            return jsonify(error="Idempotency-Key 缺失或与 event_id 不符"), 400
        table = _TABLES[receiver]
        with lock, connect() as conn:
            failing = conn.execute("SELECT value FROM control WHERE name = 'fail'").fetchone()
            if failing and failing["value"] > 0:
                conn.execute("UPDATE control SET value = value - 1 WHERE name = 'fail'")
                return jsonify(error="模拟故障：暂不可用"), 503
            seen = conn.execute(f"SELECT key FROM {table} WHERE key = ?", (key,)).fetchone()
            if seen:
                conn.execute(f"UPDATE {table} SET deliveries = deliveries + 1 WHERE key = ?", (key,))
            else:
                conn.execute(f"INSERT INTO {table} (key, type, body, received_at) VALUES (?, ?, ?, ?)",
                             (key, event.get("type", ""), body.decode(), datetime.now(timezone.utc).isoformat()))
        return jsonify(received=key, duplicate=bool(seen))

    def listing(receiver: str):
        with connect() as conn:
            rows = conn.execute(f"SELECT * FROM {_TABLES[receiver]} ORDER BY received_at, key").fetchall()
        return jsonify(events=[{"key": r["key"], "type": r["type"], "received_at": r["received_at"],
                                "deliveries": r["deliveries"], "body": json.loads(r["body"])} for r in rows])

    app.add_url_rule("/events", "receive", lambda: receive("registry"), methods=["POST"])
    app.add_url_rule("/events", "events", lambda: listing("registry"), methods=["GET"])
    app.add_url_rule("/estation/notices", "receive_notice", lambda: receive("estation"), methods=["POST"])
    app.add_url_rule("/estation/notices", "notices", lambda: listing("estation"), methods=["GET"])

    @app.post("/control/fail")
    def fail_next():
        count = int((request.get_json(silent=True) or {}).get("count", 0))
        with lock, connect() as conn:
            conn.execute("INSERT INTO control (name, value) VALUES ('fail', ?) "
                         "ON CONFLICT(name) DO UPDATE SET value = excluded.value", (max(0, count),))
        return jsonify(fail_next=max(0, count))

    @app.get("/health")
    def health():
        return jsonify(ok=True)

    return app
