"""The roster workbook kept between 校验 (dry run) and 导入: stored by content (sha256) in a private folder
beside the attachments, bound by a row to the user and the branch it was checked for, valid for
``KEEP_FOR``. 导入 names it by its sha256 only; a key that is not a clean check of this user for this branch
(tampered, someone else's, another branch's, expired) is refused, and the bytes read back must still hash to
the key."""
import hashlib
import os
import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.file_modes import private_dir, write_private_file
from app.roster.models import CheckedRosterFile
from app.timeutil import utcnow

KEEP_FOR = timedelta(hours=2)
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _path(sha256: str) -> str:
    return os.path.join(current_app.config["UPLOAD_FOLDER"], "roster", sha256[:2], sha256)


def keep(user, branch, filename: str, content: bytes, rows: int) -> CheckedRosterFile:
    """Keep a workbook that passed the dry run for ``user`` and ``branch``; returns its row (key: sha256)."""
    _forget_expired()
    sha = hashlib.sha256(content).hexdigest()
    path = _path(sha)
    if not os.path.exists(path):
        private_dir(os.path.dirname(path))
        write_private_file(path, content)
    name = os.path.basename((filename or "").replace("\\", "/"))[:200] or "名册.xlsx"
    row = db.session.scalar(sa.select(CheckedRosterFile).where(
        CheckedRosterFile.sha256 == sha, CheckedRosterFile.user_id == user.id, CheckedRosterFile.org_id == branch.id))
    if row is None:
        row = CheckedRosterFile(sha256=sha, user_id=user.id, org_id=branch.id)
        db.session.add(row)
    row.filename, row.rows, row.created_at = name, rows, utcnow()
    db.session.flush()
    return row


def checked(user, branch, key: str) -> tuple[CheckedRosterFile, bytes] | None:
    """The kept workbook ``key`` names, if ``user`` checked it for ``branch`` within ``KEEP_FOR``; else None."""
    if not isinstance(key, str) or not _SHA256.fullmatch(key):
        return None
    row = db.session.scalar(sa.select(CheckedRosterFile).where(
        CheckedRosterFile.sha256 == key, CheckedRosterFile.user_id == user.id,
        CheckedRosterFile.org_id == branch.id, CheckedRosterFile.created_at > utcnow() - KEEP_FOR))
    if row is None:
        return None
    try:
        with open(_path(key), "rb") as fh:
            content = fh.read()
    except OSError:
        return None
    if hashlib.sha256(content).hexdigest() != key:
        return None  # the stored bytes were changed: not the file that was checked
    return row, content


def forget(row: CheckedRosterFile) -> None:
    """Drop a kept workbook once it is imported (its bytes go when no other check keeps them)."""
    db.session.delete(row)
    db.session.flush()
    _remove_unkept([row.sha256])


def _forget_expired() -> None:
    expired = db.session.execute(sa.delete(CheckedRosterFile).where(
        CheckedRosterFile.created_at <= utcnow() - KEEP_FOR).returning(CheckedRosterFile.sha256)).scalars().all()
    _remove_unkept(set(expired))


def _remove_unkept(hashes) -> None:
    # A file still kept by another row stays; removing the bytes of a rolled-back request is harmless (the row
    # it leaves behind finds no file and is refused like an expired key).
    for sha in hashes:
        still = db.session.scalar(sa.select(CheckedRosterFile.id).where(CheckedRosterFile.sha256 == sha).limit(1))
        if still is None and os.path.exists(_path(sha)):
            os.remove(_path(sha))
