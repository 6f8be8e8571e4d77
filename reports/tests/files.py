"""Read a report's file back, the way its users' tools would."""

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader

from reports.labels import summary_lines


def csv_sections(content: bytes) -> dict[str, list[list[str]]]:
    """Title row → [header, *rows] of each section of a report CSV."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sections: dict[str, list[list[str]]] = {}
    current = None
    for row in rows[2:]:
        if not row:
            current = None
        elif current is None:
            current = sections.setdefault(row[0], [])
        else:
            current.append(row)
    return sections


def xlsx_sheets(content: bytes) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def assert_file_matches_summary(report_format: str, content: bytes, summary: dict) -> None:
    """The summary section of the file holds exactly the report's summary."""
    # sorted: PostgreSQL's jsonb keeps keys in its own order, the file in the report's
    expected = sorted((key, str(value)) for key, value in summary_lines(summary))
    if report_format == "csv":
        assert sorted(tuple(row) for row in csv_sections(content)["Summary"][1:]) == expected
    elif report_format == "xlsx":
        rows = xlsx_sheets(content)["Summary"]
        assert rows[0] == ("Figure", "Value")
        # Typed cells: money is a number there (1280 for "1280.00"), so compare amounts as amounts.
        assert sorted((key, Decimal(str(value))) for key, value in rows[1:]) == [
            (key, Decimal(value)) for key, value in expected
        ]
    else:
        text = " ".join(pdf_text(content).split())  # a table cell comes out as a line of its own
        for key, value in expected:
            assert f"{key} {value}" in text
