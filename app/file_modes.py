"""Modes of what the application keeps on disk: the SQLite database and the uploads are readable by the
service account only (files 0600, folders 0700), whatever the process umask is."""
import logging
import os

from flask import Flask

from app.extensions import db

DIR_MODE = 0o700
FILE_MODE = 0o600
# SQLite's journals hold database pages too; it creates them with the database file's mode.
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
log = logging.getLogger(__name__)


def _chmod(path: str, mode: int) -> None:
    # Only the owner may change a mode; a file another account owns is reported, not fatal to the start.
    try:
        os.chmod(path, mode)
    except PermissionError:
        log.warning("cannot set mode %o on %s (owned by another account): set it by hand", mode, path)


def private_dir(path: str) -> None:
    """Create a folder (and its parents) for the owner only; an existing one gets mode 0700."""
    os.makedirs(path, mode=DIR_MODE, exist_ok=True)
    # makedirs' mode passes through the umask and leaves an existing folder as it is.
    _chmod(path, DIR_MODE)


def write_private_file(path: str, content: bytes) -> None:
    """Write a file atomically with mode 0600: a reader never sees half of it, nobody else reads it."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fd, FILE_MODE)
        fh.write(content)
    os.replace(tmp, path)


def sqlite_path(app: Flask) -> str | None:
    """The file of the app's SQLite database (as Flask-SQLAlchemy resolved it), or None for other databases."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or url.database.startswith("file:"):
        return None
    return url.database


def secure_storage(app: Flask) -> None:
    """At startup: the upload folder 0700, the SQLite database created (if missing) and kept 0600."""
    private_dir(app.config["UPLOAD_FOLDER"])
    path = sqlite_path(app)
    if path is None:
        return
    # Created here, before SQLite would create it with the umask's mode.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    for suffix in _SQLITE_COMPANIONS:
        if os.path.exists(path + suffix):
            _chmod(path + suffix, FILE_MODE)


def secure_upload_tree(folder: str) -> int:
    """Fix the modes of every folder and file under the upload folder (files stored by older releases);
    returns how many were changed."""
    changed = 0
    for root, dirs, files in os.walk(folder):
        for name, mode in [(d, DIR_MODE) for d in dirs] + [(f, FILE_MODE) for f in files]:
            path = os.path.join(root, name)
            if os.stat(path).st_mode & 0o777 != mode:
                os.chmod(path, mode)
                changed += 1
    return changed
