"""Files of a report: the same `ReportData` written as CSV, an Excel workbook or a PDF with charts.

Every format starts with the report's summary, so the file and `Report.summary` always agree.
"""

import csv
import datetime
import io
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from itertools import chain, islice
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from django.utils.translation import gettext as _
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from reports.labels import date_text, summary_lines
from reports.models import ReportFormat, period_text
from reports.selectors import Chart, ReportData, Table

# A spreadsheet runs a text cell starting with one of these as a formula ("=HYPERLINK(...)" in a
# client's name); a leading apostrophe makes it plain text again (OWASP "CSV injection").
# Full-width ＝＋－＠ count too (a spreadsheet may fold them to ASCII), and so does any of them behind
# characters nobody sees: a byte order mark, zero-width space / non-joiner / joiner, word joiner.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
INVISIBLE_PREFIX = "\ufeff\u200b\u200c\u200d\u2060"
# A PDF is for reading, not for a full user list: longer tables are cut, the CSV/XLSX have every row.
PDF_MAX_TABLE_ROWS = 300
XLSX_MAX_COLUMN_WIDTH = 60
XLSX_WIDTH_SAMPLE_ROWS = 1000

CONTENT_TYPES = {
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.PDF: "application/pdf",
}


def neutralise(value: str) -> str:
    return f"'{value}" if value.lstrip(INVISIBLE_PREFIX).startswith(FORMULA_PREFIXES) else value


def _summary_table(data: ReportData) -> Table:
    return Table(_("Summary"), [_("Figure"), _("Value")], summary_lines(data.summary))


def _period(data: ReportData) -> str:
    return period_text(data.date_from.isoformat(), data.date_to.isoformat())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return date_text(value)
    return str(value)


def _csv_cell(value: Any) -> str:
    # Only text is neutralised: a number is never a formula, and "-5" must stay a number.
    return neutralise(value) if isinstance(value, str) else _text(value)


# ---------------------------------------------------------------------------
# CSV: sections of a title row, a header row and the data rows, separated by an empty row
# ---------------------------------------------------------------------------
def render_csv(data: ReportData) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([data.title])
    writer.writerow([_("Period"), _period(data)])
    for table in [_summary_table(data), *data.tables]:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.headers)
        writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    # A byte order mark, so Excel opens the UTF-8 names right.
    return buffer.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------------------
# XLSX: one sheet per table, typed cells, a bold frozen header row, columns sized to their content
# ---------------------------------------------------------------------------
def _cell_value(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).replace(tzinfo=None)  # Excel has no time zones
    return value


def _number_format(value: Any) -> str | None:
    if isinstance(value, Decimal):
        return "#,##0.00"
    # The pages' way of writing dates ("5 Dec 2026, 14:03"), on cells that stay real dates.
    if isinstance(value, datetime.datetime):
        return "d mmm yyyy, hh:mm"
    if isinstance(value, datetime.date):
        return "d mmm yyyy"
    return None


def _sheet_title(title: str, taken: set[str]) -> str:
    cleaned = "".join(char for char in title if char not in "[]:*?/\\")[:31]
    while cleaned in taken:
        cleaned = f"{cleaned[:28]} {len(taken)}"
    taken.add(cleaned)
    return cleaned


def _xlsx_cell(sheet, value: Any, *, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=_cell_value(value))
    if isinstance(value, str):
        cell.data_type = "s"  # text, whatever it starts with: never a formula
    if number_format := _number_format(value):
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def render_xlsx(data: ReportData) -> bytes:
    # Write-only: rows stream to the file instead of living as cell objects, so a year of new users
    # costs megabytes, not hundreds of them. Its columns are sized before the first row is written:
    # from the header and the first XLSX_WIDTH_SAMPLE_ROWS rows.
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    bold = Font(bold=True)
    for table in [_summary_table(data), *data.tables]:
        sheet = workbook.create_sheet(_sheet_title(table.sheet or table.title, taken))
        rows = iter(table.rows)
        sample = list(islice(rows, XLSX_WIDTH_SAMPLE_ROWS))
        for column, header in enumerate(table.headers):
            width = max([len(header), *(len(_text(row[column])) for row in sample)])
            sheet.column_dimensions[get_column_letter(column + 1)].width = min(width + 2, XLSX_MAX_COLUMN_WIDTH)
        sheet.freeze_panes = "A2"
        sheet.append([_xlsx_cell(sheet, header, font=bold) for header in table.headers])
        for row in chain(sample, rows):
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    # What the CSV's first rows and the PDF's title say, for whoever opens the workbook alone.
    about = workbook.create_sheet(_("About"))
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 14, max(len(data.title) + 2, 22)
    for label, value in [
        (_("Report"), data.title),
        (_("From"), data.date_from),
        (_("To"), data.date_to),
        (_("Generated"), datetime.datetime.now(datetime.UTC)),
    ]:
        about.append([_xlsx_cell(about, label, font=bold), _xlsx_cell(about, value)])
    workbook.properties.title = f"{data.title}, {_period(data)}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# PDF: title, period, key figures, matplotlib charts (Agg, no display needed), then the tables
# ---------------------------------------------------------------------------
ACCENT = "#2a6f97"
NUMERIC = (int, float, Decimal)


# ReportLab's built-in Helvetica has no Cyrillic (nor most of Unicode): a client called Анна would
# print as black boxes. DejaVu Sans ships with matplotlib, so it is always there; ReportLab embeds
# only the glyphs a document uses.
FONT = {
    "Helvetica": "DejaVuSans",
    "Helvetica-Bold": "DejaVuSans-Bold",
    "Helvetica-Oblique": "DejaVuSans-Oblique",
    "Helvetica-BoldOblique": "DejaVuSans-BoldOblique",
}


@cache
def _register_fonts() -> None:
    directory = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name in FONT.values():
        pdfmetrics.registerFont(TTFont(name, directory / f"{name}.ttf"))
    registerFontFamily(
        FONT["Helvetica"],
        normal=FONT["Helvetica"],
        bold=FONT["Helvetica-Bold"],
        italic=FONT["Helvetica-Oblique"],
        boldItalic=FONT["Helvetica-BoldOblique"],
    )


def _styles():
    _register_fonts()
    styles = getSampleStyleSheet()  # a fresh sheet per call: changing it changes no one else's
    for style in styles.byName.values():
        if isinstance(style, ParagraphStyle):
            style.fontName = FONT.get(style.fontName, style.fontName)
    return styles


def _chart_png(chart: Chart) -> io.BytesIO:
    # A Figure with its own Agg canvas: pyplot's global state is neither thread-safe nor freed by itself.
    figure = Figure(figsize=(7.2, 2.6), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if chart.line and chart.labels:
        # Real dates on the x axis: matplotlib spaces and labels them, however many days there are.
        axes.plot(chart.labels, chart.values, marker="o" if len(chart.labels) <= 40 else None, color=ACCENT)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(axes.xaxis.get_major_locator()))
        axes.set_ylim(bottom=0)
    elif chart.labels:
        bars = axes.bar([str(label) for label in chart.labels], chart.values, color=ACCENT, width=0.6)
        axes.bar_label(bars, fmt="{:,.0f}", fontsize=7, padding=2)
        axes.tick_params(axis="x", labelsize=7, labelrotation=20 if len(chart.labels) > 5 else 0)
        axes.margins(y=0.15)
    axes.set_title(chart.title, fontsize=10, loc="left")
    axes.set_ylabel(chart.ylabel, fontsize=8)
    axes.tick_params(axis="y", labelsize=7)
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    if not any(chart.values):
        if not chart.labels:
            axes.set_xticks([])
        axes.set_yticks([])
        axes.text(0.5, 0.5, _("no data in the period"), ha="center", va="center", transform=axes.transAxes)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    buffer.seek(0)
    return buffer


def _pdf_table(table: Table, styles) -> list:
    rows = list(islice(table.rows, PDF_MAX_TABLE_ROWS + 1))
    # keepWithNext: a table's title never ends a page without the table.
    heading = ParagraphStyle("TableTitle", parent=styles["Heading3"], keepWithNext=1)
    flowables = [Paragraph(escape(table.title), heading)]
    if not rows:
        return [*flowables, Paragraph(escape(_("No rows in the period.")), styles["Normal"])]
    cut = len(rows) > PDF_MAX_TABLE_ROWS
    rows = rows[:PDF_MAX_TABLE_ROWS]
    pdf_table = PdfTable(
        [table.headers, *([_text(value) for value in row] for row in rows)], repeatRows=1, hAlign="LEFT"
    )
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(ACCENT)),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("FONTNAME", (0, 0), (-1, -1), FONT["Helvetica"]),
        ("FONTNAME", (0, 0), (-1, 0), FONT["Helvetica-Bold"]),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8d6df")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eef4f8")]),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    # Numbers right-aligned, so their digits line up (a column is numeric when its first row is).
    style += [
        ("ALIGN", (column, 0), (column, -1), "RIGHT") for column, value in enumerate(rows[0]) if _is_number(value)
    ]
    if table.total_row:
        style.append(("FONTNAME", (0, len(rows)), (-1, len(rows)), FONT["Helvetica-Bold"]))
    pdf_table.setStyle(TableStyle(style))
    flowables.append(pdf_table)
    if cut:
        note = _("First %(count)s rows; the CSV and XLSX formats list them all.") % {"count": PDF_MAX_TABLE_ROWS}
        flowables.append(Paragraph(note, styles["Italic"]))
    return flowables


def _is_number(value: Any) -> bool:
    return isinstance(value, NUMERIC) and not isinstance(value, bool)


def _footer(generated: str):
    def draw(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(FONT["Helvetica"], 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(document.leftMargin, 1 * cm, _("Fitness club · generated %(when)s") % {"when": generated})
        canvas.drawRightString(A4[0] - document.rightMargin, 1 * cm, _("Page %(page)s") % {"page": document.page})
        canvas.restoreState()

    return draw


def render_pdf(data: ReportData) -> bytes:
    styles = _styles()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{data.title}, {_period(data)}",
        author="Fitness club",
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.8 * cm,
    )
    story = [
        Paragraph(escape(data.title), styles["Title"]),
        Paragraph(escape(f"{_('Period')}: {_period(data)}"), styles["Normal"]),
        Spacer(1, 0.3 * cm),
        *_pdf_table(_summary_table(data), styles),
    ]
    for chart in data.charts:
        story += [Spacer(1, 0.3 * cm), Image(_chart_png(chart), width=17.4 * cm, height=6.3 * cm)]
    for table in data.tables:
        story += [Spacer(1, 0.2 * cm), *_pdf_table(table, styles)]
    footer = _footer(f"{date_text(datetime.datetime.now(datetime.UTC))} UTC")
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


RENDERERS: dict[str, Callable[[ReportData], bytes]] = {
    ReportFormat.CSV: render_csv,
    ReportFormat.XLSX: render_xlsx,
    ReportFormat.PDF: render_pdf,
}
