"""Security headers on every kind of response (pages, API JSON, static files, errors, attachments), templates
free of inline code the policy would refuse, and the modes of the database file and the upload folder."""
import logging.config
import os
import pathlib
import re
import stat

import pytest
import sqlalchemy as sa

from app import create_app, security_headers
from app.attachments import services as attachments
from app.extensions import db
from app.file_modes import sqlite_path
from app.workflow import simulate
from tests.conftest import TEST_DATABASE_URL, login

APP_DIR = pathlib.Path(__file__).resolve().parent.parent / "app"
TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _policy(response) -> dict[str, str]:
    """The Content-Security-Policy as {directive: sources}."""
    parts = (p.strip().split(" ", 1) for p in response.headers["Content-Security-Policy"].split(";"))
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def assert_secure_headers(response) -> None:
    """The headers every response of the application carries."""
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    policy = _policy(response)
    assert policy["frame-ancestors"] == "'none'"


def assert_page_policy(response) -> None:
    """The application's own policy: nothing inline, nothing from elsewhere."""
    assert_secure_headers(response)
    assert response.headers["Content-Security-Policy"] == security_headers.CSP
    policy = _policy(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'self'" and policy["form-action"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


def test_pages_carry_the_headers_before_and_after_login(client, demo):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert_page_policy(response)
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP by default
    login(client, demo.users["branch1:branch_admin"])
    for path in ("/inbox/", "/people/info", "/stats/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_page_policy(response)
    redirect = client.get("/")
    assert redirect.status_code == 302
    assert_page_policy(redirect)


def test_api_json_static_files_and_errors_carry_the_headers(client, demo):
    for path, status in (("/api/v1/openapi.json", 200), ("/api/v1/me", 401), ("/api/v1/nothing", 404),
                         ("/static/css/app.css", 200), ("/static/js/app.js", 200), ("/no/such/page", 404),
                         ("/attachments/" + "a" * 64, 302)):
        response = client.get(path)
        assert response.status_code == status, path
        assert_page_policy(response)
    assert client.get("/api/v1/me").is_json
    login(client, demo.users["branch1:branch_admin"])
    forbidden = client.get("/designer/")
    assert forbidden.status_code == 403
    assert_page_policy(forbidden)
    wrong_method = client.delete("/inbox/")
    assert wrong_method.status_code == 405
    assert_page_policy(wrong_method)


def test_pdfs_the_app_renders_keep_the_viewer_working(client, demo):
    pytest.importorskip("weasyprint")
    login(client, demo.users["branch1:branch_admin"])
    response = client.get("/printing/template.pdf?stage=1")
    if response.status_code == 503:
        pytest.skip("WeasyPrint system libraries missing")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert_secure_headers(response)
    assert response.headers["Content-Security-Policy"] == security_headers.PDF_CSP


def test_hsts_only_when_the_session_cookie_is_secure(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                      "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'h.sqlite3'}"})
    response = app.test_client().get("/static/css/app.css")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert_page_policy(response)


def _upload(app, user, name: str, content: bytes) -> str:
    return attachments.store(user, name, content).sha256


def test_attachments_inline_only_for_pictures_with_a_sandbox_policy(app, demo):
    branch = demo.users["branch1:branch_admin"]
    png = _upload(app, branch, "照片.png", simulate.TINY_PNG)
    pdf = _upload(app, branch, "证明.pdf", TINY_PDF)
    db.session.commit()
    client = app.test_client()
    login(client, branch)

    picture = client.get(f"/attachments/{png}")
    assert picture.status_code == 200 and picture.data == simulate.TINY_PNG
    assert picture.mimetype == "image/png"
    assert picture.headers["Content-Disposition"].startswith("inline;")
    document = client.get(f"/attachments/{pdf}")
    assert document.status_code == 200 and document.data == TINY_PDF
    assert document.mimetype == "application/pdf"
    assert document.headers["Content-Disposition"].startswith("attachment;")
    for response in (picture, document):
        assert_secure_headers(response)
        policy = _policy(response)
        assert "sandbox" in policy and policy["default-src"] == "'none'"
        assert "script-src" not in policy  # default-src 'none' refuses scripts


_INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on* handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_templates_hold_no_inline_script_style_or_handler():
    found = []
    for path in sorted(APP_DIR.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern, what in _INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(APP_DIR)}:{line}: {what}")
    assert not found, "the Content-Security-Policy refuses these (move them to app/static):\n" + "\n".join(found)


def test_the_inline_check_would_see_each_kind():
    samples = ["<script>alert(1)</script>", "<style>p{}</style>", '<p style="x">', '<a onclick="x">',
               '<a href="javascript:x">']
    for sample, (pattern, _) in zip(samples, _INLINE):
        assert pattern.search(sample), sample
    assert not _INLINE[0][0].search('<script type="application/json" id="d">{}</script>')
    assert not _INLINE[0][0].search('<script src="/static/js/app.js" defer></script>')


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """A process umask that would leave new files world-readable and writable."""
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the database file is SQLite's")
def test_database_file_0600_and_upload_folder_0700_whatever_the_umask(tmp_path, open_umask):
    database = tmp_path / "fresh.sqlite3"
    uploads = tmp_path / "files" / "uploads"
    config = {"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(uploads),
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"}
    app = create_app(config)
    with app.app_context():
        assert sqlite_path(app) == str(database)
        db.create_all()
        db.session.execute(sa.text("SELECT 1"))
        db.session.remove()
    assert _mode(database) == 0o600
    for companion in (f"{database}-wal", f"{database}-shm"):
        if os.path.exists(companion):
            assert _mode(companion) == 0o600
    assert _mode(uploads) == 0o700

    # Modes loosened by hand (or by an older release) are put back at the next start.
    os.chmod(database, 0o644)
    os.chmod(uploads, 0o755)
    create_app(config)
    assert _mode(database) == 0o600 and _mode(uploads) == 0o700


def test_stored_files_0600_in_0700_folders_whatever_the_umask(app, demo, open_umask):
    sha = _upload(app, demo.users["branch1:branch_admin"], "a.png", simulate.TINY_PNG)
    path = attachments.file_path(sha)
    assert _mode(path) == 0o600
    assert _mode(os.path.dirname(path)) == 0o700
    assert _mode(app.config["UPLOAD_FOLDER"]) == 0o700


def test_init_db_fixes_the_modes_of_files_stored_before(empty_database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(logging.config, "fileConfig", lambda *args, **kwargs: None)  # see test_migrations
    uploads = tmp_path / "uploads"
    old_folder = uploads / "ab"
    old_folder.mkdir(parents=True)
    old_file = old_folder / ("ab" + "0" * 62)
    old_file.write_bytes(b"old")
    os.chmod(old_folder, 0o755)
    os.chmod(old_file, 0o644)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(uploads),
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "修正附件权限 2 个" in result.output
    assert _mode(old_folder) == 0o700 and _mode(old_file) == 0o600
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_pdf_rendering_reads_static_files_and_nothing_else(app, demo, caplog):
    pytest.importorskip("weasyprint")
    from app.printing.pdf import render_pdf
    html = ('<html><head><link rel="stylesheet" href="/static/css/print_sheet.css">'
            '<link rel="stylesheet" href="http://192.0.2.1/evil.css"></head><body><h1>表</h1></body></html>')
    with app.test_request_context("/printing/template"):
        try:
            pdf = render_pdf(html)
        except RuntimeError:
            pytest.skip("WeasyPrint system libraries missing")
    assert pdf.startswith(b"%PDF")
    for sheet in ("print_sheet.css", "dossier.css"):
        css = (APP_DIR / "static" / "css" / sheet).read_text(encoding="utf-8")
        assert "@page" in css and "size: A4" in css
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "192.0.2.1" in messages and "print_sheet.css" not in messages
