"""Uploads: checked by content, stored once under their sha256 outside static/, served within scope."""
import base64
import hashlib
import os

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from sqlalchemy.orm import Session

from app.attachments.models import Attachment
from app.extensions import db
from app.file_modes import private_dir, write_private_file
from app.scope import range_in_scope, scope_range, select_in_scope
from forms.fields import store_uploads as store_uploads_of_form

MAX_BYTES = 5 * 1024 * 1024
# Magic numbers: the file's own bytes decide its type, never its name or the browser's claim.
_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))


class UploadError(ValueError):
    """An upload was refused; the message names the file."""


def sniff(head: bytes) -> str | None:
    """The MIME type of a JPEG, PNG or PDF by its first bytes, else None."""
    return next((mime for magic, mime in _SIGNATURES if head.startswith(magic)), None)


def _path(sha256: str) -> str:
    return os.path.join(current_app.config["UPLOAD_FOLDER"], sha256[:2], sha256)


def store(actor, filename: str, content: bytes) -> Attachment:
    """Check and store one upload for the actor's organisation; returns its row (existing or new)."""
    name = os.path.basename((filename or "file").replace("\\", "/"))[:200] or "file"
    if len(content) > MAX_BYTES:
        raise UploadError(f"文件“{name}”超过5MB")
    mime = sniff(content[:8])
    if mime is None:
        raise UploadError(f"文件“{name}”不是JPG、PNG图片或PDF文件")
    sha = hashlib.sha256(content).hexdigest()
    path = _path(sha)
    if not os.path.exists(path):
        private_dir(os.path.dirname(path))
        write_private_file(path, content)
    org_path = actor.org.path
    row = db.session.scalar(sa.select(Attachment).where(Attachment.sha256 == sha, Attachment.org_path == org_path))
    if row is None:
        row = Attachment(sha256=sha, filename=name, mime=mime, size=len(content), org_path=org_path,
                         uploaded_by=actor.id)
        db.session.add(row)
        db.session.flush()
    return row


def store_uploads(actor, uploads) -> list[str]:
    """Store several werkzeug FileStorage uploads; returns their hashes."""
    hashes = []
    for upload in uploads:
        content = upload.read(MAX_BYTES + 1)
        hashes.append(store(actor, upload.filename, content).sha256)
    return hashes


def store_form_uploads(actor, form) -> list[str]:
    """Store the acceptable files posted in a step form before it is validated (see
    ``forms.fields.store_uploads``); returns the new hashes. A view that then refuses the form calls
    ``keep_on_error()`` so these rows survive and the form shown again cites the files."""
    return store_uploads_of_form(form, lambda upload: store(actor, upload.filename,
                                                            upload.read(MAX_BYTES + 1)).sha256)


# Asked by every step page and action that cites files: statements built once (expanding IN, scope range).
_HASHES = sa.bindparam("hashes", expanding=True)
_VISIBLE = sa.select(Attachment.sha256, Attachment.org_path).where(range_in_scope(Attachment),
                                                                   Attachment.sha256.in_(_HASHES))
_DESCRIBE = sa.select(Attachment).where(range_in_scope(Attachment), Attachment.sha256.in_(_HASHES))
_GRANTED = sa.select(Attachment.sha256).where(Attachment.sha256.in_(_HASHES),
                                              Attachment.org_path == sa.bindparam("org_path"))


def visible_hashes(actor, hashes: list[str]) -> set[str]:
    """The subset of hashes whose files the actor may download."""
    if not hashes:
        return set()
    rows = db.session.execute(_VISIBLE, {"hashes": list(hashes), **scope_range(actor)}).all()
    _seen_rows().update((sha, path) for sha, path in rows)
    return {sha for sha, _ in rows}


def _seen_rows() -> set:
    # (sha256, org_path) of rows read in the current transaction (or savepoint): nothing deletes attachment
    # rows, so an action that checked its files before citing them need not look again before granting them
    # to the record's organisation (grant_to_org). Forgotten when any transaction or savepoint ends, so a
    # row a rolled-back savepoint had added is never taken for stored.
    return g.setdefault("_attachment_rows", set()) if has_request_context() else set()


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_seen_rows(session, transaction) -> None:
    if has_request_context():
        g.pop("_attachment_rows", None)


def grant_to_org(hashes: list[str], org_path: str) -> None:
    """Make files visible to an organisation's subtree (the owner of the record that cites them)."""
    seen = _seen_rows()
    if all((sha, org_path) in seen for sha in hashes):
        return
    have = set(db.session.scalars(_GRANTED, {"hashes": list(hashes), "org_path": org_path}))
    for sha in set(hashes) - have:
        source = db.session.scalar(sa.select(Attachment).where(Attachment.sha256 == sha).limit(1))
        db.session.add(Attachment(sha256=sha, filename=source.filename, mime=source.mime, size=source.size,
                                  org_path=org_path, uploaded_by=source.uploaded_by))


def find_visible(actor, sha256: str) -> Attachment | None:
    """The attachment row for a hash within the actor's scope, or None."""
    return db.session.scalar(select_in_scope(Attachment, actor).where(Attachment.sha256 == sha256).limit(1))


def picture_data_url(actor, sha256: str) -> str:
    """A picture within the actor's scope as a data: URL (for sheets and dossiers rendered to PDF, which
    fetch nothing), or "" for anything else."""
    row = find_visible(actor, sha256)
    if row is None or row.mime not in ("image/jpeg", "image/png"):
        return ""
    with open(_path(sha256), "rb") as fh:
        return f"data:{row.mime};base64," + base64.b64encode(fh.read()).decode()


def file_path(sha256: str) -> str:
    """Where the bytes of a stored file live."""
    return _path(sha256)


def describe(actor, hashes: list[str]) -> dict[str, Attachment]:
    """sha → attachment row, for showing file names next to stored hashes."""
    if not hashes:
        return {}
    rows = db.session.scalars(_DESCRIBE, {"hashes": list(hashes), **scope_range(actor)})
    return {row.sha256: row for row in rows}
