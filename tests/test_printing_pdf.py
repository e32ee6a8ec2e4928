"""render_pdf: Chinese text comes out as a PDF with an embedded CJK font."""
import re
import zlib

from app.printing.pdf import render_pdf


def embedded_fonts(pdf: bytes) -> list[str]:
    """Base font names in a PDF (object streams are deflated, so inflate every stream first)."""
    names = re.findall(rb"/BaseFont\s*/([^\s/]+)", pdf)
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            names += re.findall(rb"/BaseFont\s*/([^\s/]+)",
                                zlib.decompressobj().decompress(pdf[match.end():match.end() + 400000]))
        except zlib.error:
            continue
    return sorted({n.decode() for n in names})


def test_render_pdf_embeds_cjk_font():
    pdf = render_pdf('<html><body><p style="font-family: \'Noto Sans CJK SC\'">入党积极分子采集表</p>'
                     '</body></html>')
    assert pdf.startswith(b"%PDF-")
    assert any("CJK" in name for name in embedded_fonts(pdf))
