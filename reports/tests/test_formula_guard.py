"""Spreadsheet files: no text cell a spreadsheet could run as a formula, however the formula is disguised."""

import datetime

import pytest

from reports.renderers import render_csv, render_xlsx
from reports.selectors import ReportData, Table
from reports.tests.files import csv_sections, xlsx_sheets

DISGUISED_FORMULAS = [
    "\ufeff=HYPERLINK(1)",  # a byte order mark first
    "\u200b=1+1",  # zero-width space
    "\u200c+1",  # zero-width non-joiner
    "\u200d-1",  # zero-width joiner
    "\u2060@SUM(A1)",  # word joiner
    "\ufeff\u200b\u2060=1",  # several
    "\uff1dHYPERLINK(1)",  # full-width equals sign
    "\uff0b1",  # full-width plus
    "\uff0d1",  # full-width minus
    "\uff20SUM(A1)",  # full-width commercial at
    "\u200b\uff1d1",  # zero-width space, then full-width equals
]
HARMLESS = ["\u200bsquat", "Anna\u200b=", "a\uff1db"]


def names_report() -> ReportData:
    return ReportData(
        title="Names",
        date_from=datetime.date(2026, 3, 1),
        date_to=datetime.date(2026, 3, 31),
        summary={},
        tables=[Table("Names", ["name"], [(name,) for name in DISGUISED_FORMULAS + HARMLESS])],
    )


@pytest.mark.parametrize(
    ("render", "read"),
    [(render_csv, csv_sections), (render_xlsx, xlsx_sheets)],
    ids=["csv", "xlsx"],
)
def test_formulas_behind_invisible_or_full_width_characters_are_neutralised(render, read):
    names = [row[0] for row in read(render(names_report()))["Names"][1:]]

    assert names == [f"'{formula}" for formula in DISGUISED_FORMULAS] + HARMLESS
