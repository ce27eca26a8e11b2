"""The report's outputs besides the page: the xlsx workbook (one sheet per table, through
core/xlsx.py) and the printable PDF (reportlab: the CJK font embedded, the charts drawn as
vector graphics on the server, no JavaScript anywhere in the path). Both read only the
tables built from the stored figures (selectors.report_tables)."""

from __future__ import annotations

import io
import os
from functools import cache

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from complaintdesk.core.xlsx import XlsxSheet

# Where a CJK TrueType font is looked for (settings.REPORTS_CJK_FONT first). Only TrueType
# outlines (TTF/TTC) are usable by reportlab; the OpenType/CFF Noto CJK files are not.
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
FONT = "ReportCJK"


class FontMissing(RuntimeError):
    """No CJK font: a PDF without one would print boxes instead of Chinese."""


def cjk_font_path() -> str:
    configured = getattr(settings, "REPORTS_CJK_FONT", "") or ""
    candidates = ([configured] if configured else []) + list(CJK_FONT_CANDIDATES)
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise FontMissing(_(
        "No Chinese font for the PDF: none of %(paths)s exists. Install fonts-wqy-microhei or set "
        "REPORTS_CJK_FONT to a TrueType font with Chinese characters.") % {"paths": ", ".join(candidates)})


@cache
def _register_font(path: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
    return FONT


def _cell(value, kind: str):
    if kind == "pct":
        return None if value is None else round(value * 100, 1)
    if kind == "hours":
        return None if value is None else round(value, 1)
    return value


def _shown(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "hours":
        return f"{value:.1f} h"
    return str(value)


def column_kinds(table) -> list[list[str]]:
    """Each cell's kind (a "num" column takes each row's own)."""
    out = []
    for i, _row in enumerate(table.rows):
        out.append([(table.row_kinds[i] if c.kind == "num" and table.row_kinds else c.kind) for c in table.columns])
    return out


# --- xlsx ---------------------------------------------------------------------------------------

def report_xlsx(*, title: str, meta: list[tuple[str, str]], notes: list[str], texts: list[tuple[str, str]],
                tables, out) -> None:
    """One sheet per table; numbers are numbers (shares as percentages, the header says so)."""
    book = XlsxSheet(_("Report"), widths=(28, 60))
    book.header([title])
    for label, value in meta:
        book.row([label, value])
    for note in notes:
        book.row([_("Note"), note])
    for label, text in texts:
        book.row([label, text])
    for table in tables:
        kinds = column_kinds(table)
        book.add_sheet(table.title, widths=[30 if c.kind == "text" else 14 for c in table.columns])
        book.header([c.label + (" (%)" if c.kind == "pct" else "") for c in table.columns])
        for row, row_kinds in zip(table.rows, kinds, strict=True):
            book.row([_cell(v, k) for v, k in zip(row, row_kinds, strict=True)])
        if table.note:
            book.note(table.note)
    book.save(out)


# --- charts -------------------------------------------------------------------------------------

COLOURS = ("#0b5cad", "#1d6b32", "#8a5300", "#a61b1b", "#5b3f9e", "#00727a", "#6b7480", "#b3418f")


def trend_chart(trend: list, *, width=480, height=150, font: str | None = None):
    """Tickets per day, a line chart (a reportlab Drawing: drawn into the PDF, or as SVG)."""
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    d = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, width - 60, height - 50
    values = [n for _day, n in trend] or [0]
    chart.data = [values]
    step = max(1, len(values) // 8)
    chart.categoryAxis.categoryNames = [day[5:] if i % step == 0 else "" for i, (day, _n) in enumerate(trend)]
    chart.categoryAxis.labels.fontName = font or "Helvetica"
    chart.categoryAxis.labels.fontSize = 7
    _whole_steps(chart.valueAxis, max(values))
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d"
    chart.lines[0].strokeColor = colors.HexColor(COLOURS[0])
    chart.lines[0].strokeWidth = 1.5
    d.add(chart)
    return d


def _whole_steps(axis, top: int) -> None:
    # Counts are whole numbers: ticks at whole steps (the default would print 0 0 1 1 2).
    step = max(1, -(-max(top, 1) // 5))
    axis.valueMin, axis.valueStep = 0, step
    axis.valueMax = step * (-(-max(top, 1) // step) + (1 if top % step == 0 else 0))


def bar_chart(labels: list[str], values: list[int], *, width=480, font: str | None = None):
    """A horizontal bar per label (the top categories, the units), 18 points a bar."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    labels, values = labels[:10], values[:10]
    height = 30 + 18 * max(len(labels), 1)
    d = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 150, 20, width - 170, height - 28
    chart.data = [list(reversed(values)) or [0]]
    chart.categoryAxis.categoryNames = [lbl[:14] for lbl in reversed(labels)] or [""]
    chart.categoryAxis.labels.fontName = font or "Helvetica"
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    _whole_steps(chart.valueAxis, max(values or [0]))
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d"
    chart.bars[0].fillColor = colors.HexColor(COLOURS[0])
    chart.bars[0].strokeColor = None
    d.add(chart)
    return d


def chart_svg(drawing) -> bytes:
    from reportlab.graphics import renderSVG

    return renderSVG.drawToString(drawing).encode()


# --- PDF ----------------------------------------------------------------------------------------

def report_pdf(*, title: str, meta: list[tuple[str, str]], notes: list[str], texts: list[tuple[str, str]],
               tables, charts: list[tuple[str, object]], footer: str) -> bytes:
    """A4 portrait; every text in the CJK font (wrapped the CJK way); charts as vector
    drawings; each table with a repeated header row."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Table,
        TableStyle,
    )
    from reportlab.platypus.flowables import HRFlowable

    font = _register_font(cjk_font_path())
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10.5)
    h1 = ParagraphStyle("h1", parent=body, fontSize=17, leading=23, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=4,
                        textColor=colors.HexColor("#0b3d75"))
    note_style = ParagraphStyle("note", parent=body, textColor=colors.HexColor("#8a1b1b"))

    def p(text, style=body):
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    story = [p(title, h1)]
    story.append(Table([[p(k, small), p(v, small)] for k, v in meta], colWidths=[40 * mm, 130 * mm],
                       style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                         ("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("TOPPADDING", (0, 0), (-1, -1), 1)])))
    story.append(HRFlowable(width="100%", color=colors.HexColor("#c8ced6"), spaceBefore=4, spaceAfter=4))
    for note in notes:
        story.append(p(note, note_style))
    for label, drawing in charts:
        story.append(KeepTogether([p(label, h2), drawing]))
    for label, text in texts:
        story.append(p(label, h2))
        story.append(p(text or _("(not written)"), body))
    width = A4[0] - 36 * mm
    for table in tables:
        kinds = column_kinds(table)
        head = [p(c.label, small) for c in table.columns]
        rows = [[p(_shown(v, k), small) for v, k in zip(row, rk, strict=True)] for row, rk in zip(table.rows, kinds,
                                                                                                  strict=True)]
        if not rows:
            rows = [[p(_("None in this period."), small)] + [""] * (len(head) - 1)]
        weights = [3 if c.kind == "text" else 1.2 for c in table.columns]
        col_widths = [width * w / sum(weights) for w in weights]
        t = Table([head, *rows], colWidths=col_widths, repeatRows=1)
        t.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c8ced6")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]))
        story.append(p(table.title, h2))
        story.append(t)
        if table.note:
            story.append(p(table.note, small))

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#6b7480"))
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, _("Page %(n)s") % {"n": doc.page})
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=title, author="complaintdesk",
                            creator="complaintdesk", subject=title)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def printed_at() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H:%M")
