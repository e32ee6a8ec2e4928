"""HTML → PDF with WeasyPrint (pango + the Debian ``fonts-noto-cjk`` fonts for Chinese glyphs).

``render_pdf`` is the one entry point; other packages (采集表, the auditor's dossier) import it.
WeasyPrint is imported lazily so the app starts even where pango is missing; only a PDF request fails.
"""

# Font stack for Chinese text; fonts-noto-cjk registers "Noto Sans CJK SC" / "Noto Serif CJK SC" with fontconfig.
CJK_FONT_STACK = '"Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", serif'


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    """Render an HTML document (with its print CSS, ``@page`` rules included) to PDF bytes.

    ``base_url`` resolves relative links (stylesheets, images); with ``None`` only inline styles and
    absolute/data URLs are used. Raises RuntimeError if WeasyPrint or its system libraries are missing.
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: libpango not installed
        raise RuntimeError("PDF 生成组件不可用（需要 WeasyPrint 与 pango）") from exc
    return HTML(string=html, base_url=base_url).write_pdf()
