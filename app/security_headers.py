"""Security headers on every response: one after_request hook, the Content-Security-Policy in one place.

The policy allows nothing inline: templates carry no <script>, <style>, style="…" or on*= handler; behaviour
lives in app/static/js (attached by data-attributes), styles in app/static/css. What the vendored libraries
need beyond 'self', checked in Chromium by tests/test_csp_browser.py:
- img-src data: blob: — bpmn-js and the properties panel draw icons from data: URLs in their stylesheets;
  ECharts' "save as image" makes blob: URLs.
- font-src data: — bpmn-font/css/bpmn-embedded.css embeds the modeler's palette font as a data: URL.
- style-src-attr 'unsafe-hashes' with two hashes — bpmn-js-properties-panel builds its two containers from
  HTML strings carrying style="height: 100%" and style="flex: none; height: auto"; exactly these two
  declarations may stand in a style attribute, no other (and no <style> element) anywhere.
bpmn-js and ECharts otherwise style through the CSSOM (element.style), which CSP does not restrict;
ECharts' HTML tooltip would need style attributes, so charts.js draws tooltips on the canvas. A
<script type="application/json"> data block is never executed, so CSP does not apply to it.
"""
import base64
import hashlib

from flask import Flask, Response

_PANEL_STYLE_ATTRIBUTES = ("height: 100%", "flex: none; height: auto")


def _source_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-hashes' " + " ".join(_source_hash(s) for s in _PANEL_STYLE_ATTRIBUTES),
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# Files users uploaded: even if a browser rendered one as a document, it could run nothing and reach nothing.
# Chromium's own viewer for a picture styles it inline; styles run no code, and the sandbox keeps scripts off.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
# PDFs the application renders itself (采集表, dossier): Chromium shows an inline PDF in a synthetic page that
# takes the response's policy, and the page policy (object-src 'none', no inline style) leaves it blank
# (crbug.com/271452). A PDF is no HTML page to inject into; it keeps frame-ancestors and may use its viewer.
PDF_CSP = "object-src 'self'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Register the hook that adds the headers to every response (pages, API, static files, errors)."""

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        # A view may set its own policy (attachments); it is kept.
        headers.setdefault("Content-Security-Policy", PDF_CSP if response.mimetype == "application/pdf" else CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers["Strict-Transport-Security"] = HSTS
        return response
