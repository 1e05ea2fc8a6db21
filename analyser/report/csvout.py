"""CSV files of the report's tables, safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab or carriage return) would be run as a formula by
Excel or LibreOffice ("CSV injection"); such text cells get a leading apostrophe, which the
spreadsheet shows as plain text. Numbers are written as numbers.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """A cell value fit for a spreadsheet: text that could run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([escape_cell(row.get(c)) for c in columns])
    return buf.getvalue()


def write_csv(path: Path, rows: Iterable[dict[str, Any]], columns: list[str]) -> None:
    from ..batch import write_atomic

    # utf-8-sig: Excel reads the byte-order mark as "this is UTF-8" (names with accents survive).
    write_atomic(path, csv_text(rows, columns).encode("utf-8-sig"))
