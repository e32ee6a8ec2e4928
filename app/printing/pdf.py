"""HTML → PDF with WeasyPrint (pango + the Debian ``fonts-noto-cjk`` fonts for Chinese glyphs).

``render_pdf`` is the one entry point; other packages (采集表, the auditor's dossier) import it.
WeasyPrint is imported lazily so the app starts even where pango is missing; only a PDF request fails.
The HTML links its stylesheet from app/static like the page a browser gets (the Content-Security-Policy allows
no inline <style>); WeasyPrint reads such links from disk and fetches nothing else, so rendering a PDF never
makes a network request.
"""
import mimetypes
import os
from urllib.parse import unquote, urlsplit

from flask import current_app, has_app_context, has_request_context, request
from werkzeug.security import safe_join

# Font stack for Chinese text; fonts-noto-cjk registers "Noto Sans CJK SC" / "Noto Serif CJK SC" with fontconfig.
CJK_FONT_STACK = '"Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", serif'


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    """Render an HTML document (with its print CSS, ``@page`` rules included) to PDF bytes.

    ``base_url`` resolves relative links (the request's root by default); only links to the app's static files
    and data: URLs are loaded. Raises RuntimeError if WeasyPrint or its system libraries are missing.
    """
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except (ImportError, OSError) as exc:  # OSError: libpango not installed
        raise RuntimeError("PDF 生成组件不可用（需要 WeasyPrint 与 pango）") from exc
    if base_url is None and has_request_context():
        base_url = request.url_root
    # Outside the application (a script, a test) there are no static files to read.
    static_url = current_app.static_url_path + "/" if has_app_context() else None
    static_folder = current_app.static_folder if has_app_context() else None

    class StaticFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = unquote(urlsplit(url).path)
            file = None
            if static_url and path.startswith(static_url):
                file = safe_join(static_folder, path[len(static_url):])
            if file is None or not os.path.isfile(file):
                raise ValueError(f"PDF 只读取本系统的静态文件：{url}")
            with open(file, "rb") as fh:
                body = fh.read()
            mime = mimetypes.guess_type(file)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": mime})

    return HTML(string=html, base_url=base_url, url_fetcher=StaticFetcher()).write_pdf()
