"""The dry run's plan, kept for the 导入 of the same file: plan, then apply.

A 校验 that passes keeps what its workers computed (each row's planned person and the runner's prepared
``import`` event) in a private file, so the 导入 of the same file by the same user writes it without checking
the file again. The plan never leaves the server. It is sealed with an HMAC-SHA256 (the app's SECRET_KEY)
over its bytes and its key: the file's sha256, the user, the active diagram version and the day it was checked
(the events carry that day as their action date). It is read only if the seal, the key and its age
(``KEEP_FOR``) all hold, and it is removed when it is taken, so it serves one import at most; anything else
(tampered, someone else's, another version activated, another day, expired, missing) means no plan, and the
import checks the file as it always did. What may change after the check is checked again by the import: the
branches' scope here (``rescope``), the ID numbers by the database's unique index at the write.
"""
import hashlib
import hmac
import json
import os
import pickle
import struct
import time
import zlib
from dataclasses import replace
from datetime import timedelta

from flask import current_app

from app.extensions import db
from app.file_modes import private_dir, write_private_file
from app.onboarding.checker import Planned
from app.onboarding.workbook import Problem
from app.orgs.models import Organisation
from app.scope import select_in_scope
from app.timeutil import local_today

KEEP_FOR = timedelta(hours=2)
_MAC_SIZE = hashlib.sha256().digest_size
_HEADER = struct.Struct(">d")      # the time it was kept (seconds since the epoch), sealed with the rest
# The message shown when a planned branch is no longer in the importer's scope (the check's own wording).
OUT_OF_SCOPE = "找不到该党支部（须为管理范围内的党支部）"


def _folder() -> str:
    return os.path.join(current_app.config["UPLOAD_FOLDER"], "onboarding-plans")


def _path(user_id: int, sha256: str) -> str:
    return os.path.join(_folder(), f"{int(user_id)}-{sha256}.plan")


def _key(sha256: str, user_id: int, version_id: int, day: str) -> bytes:
    return json.dumps(["onboarding-plan", sha256, int(user_id), int(version_id), day]).encode()


def _mac(key: bytes, body: bytes) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, key + b"\0" + body, hashlib.sha256).digest()


def keep(actor, sha256: str, version_id: int, planned: list[Planned], *, kept_at: float | None = None) -> None:
    """Keep the planned rows of a file that passed the dry run (``check(..., for_import=True)``) for
    ``actor``'s 导入 of the same file (``sha256``) while ``version_id`` is active, today, within ``KEEP_FOR``.
    ``kept_at`` (seconds since the epoch) is when the plan counts as made: now unless given."""
    forget_expired()
    rows = [replace(p, org=None) for p in planned]  # organisations are read again at the import, in scope
    body = _HEADER.pack(time.time() if kept_at is None else kept_at) + zlib.compress(
        pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL), 1)
    key = _key(sha256, actor.id, version_id, local_today().isoformat())
    private_dir(_folder())
    write_private_file(_path(actor.id, sha256), _mac(key, body) + body)


def take(actor, sha256: str, version_id: int) -> list[Planned] | None:
    """The plan ``actor`` made for the file ``sha256`` under ``version_id`` today, removed as it is read
    (one import at most); None when there is none that holds (the caller checks the file instead)."""
    path = _path(actor.id, sha256)
    try:
        with open(path, "rb") as fh:
            sealed = fh.read()
        os.remove(path)
    except OSError:
        return None
    mac, body = sealed[:_MAC_SIZE], sealed[_MAC_SIZE:]
    key = _key(sha256, actor.id, version_id, local_today().isoformat())
    # The seal first: nothing of a plan is unpickled unless this server wrote it for exactly this key.
    if len(body) <= _HEADER.size or not hmac.compare_digest(mac, _mac(key, body)):
        return None
    (kept_at,) = _HEADER.unpack_from(body)
    if not 0 <= time.time() - kept_at < KEEP_FOR.total_seconds():
        return None
    return pickle.loads(zlib.decompress(body[_HEADER.size:]))


def rescope(actor, planned: list[Planned], org_label: str = "所属党支部") -> list[Problem]:
    """Give each planned row its 党支部 if it is still a branch in ``actor``'s scope (one query); returns a
    problem for every row whose branch is not (moved, closed or out of scope since the dry run)."""
    orgs = {org.id: org for org in db.session.scalars(select_in_scope(Organisation, actor).where(
        Organisation.id.in_({p.org_id for p in planned}), Organisation.level == "branch"))}
    problems = []
    for row in planned:
        row.org = orgs.get(row.org_id)
        if row.org is None:
            problems.append(Problem(row.sheet, row.number, org_label, str(row.org_id), OUT_OF_SCOPE))
    return problems


def forget_expired() -> None:
    """Remove plans older than ``KEEP_FOR`` (by the file's time), so an unused plan does not stay: when a plan is
    kept, and hourly on the worker."""
    folder = _folder()
    if not os.path.isdir(folder):
        return
    oldest = time.time() - KEEP_FOR.total_seconds()
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if os.stat(path).st_mtime < oldest:
                os.remove(path)
        except OSError:
            pass  # removed meanwhile by another job
