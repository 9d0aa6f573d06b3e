"""The data files people edit (duty rules, catalogues, calendars, SLA and supervision policies,
address registers, complaint corpora): one CSV reader and the one error of a wrong file, which
names the file, the line and the column.

Files are UTF-8 (a BOM is tolerated) with a header line; lines whose first non-blank character
is ``#`` and blank lines are ignored but counted, so line numbers are the ones an editor shows.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path


class DataFileError(ValueError):
    """A data file is wrong at one line and column; the message names file, line and column.

    >>> str(DataFileError(source="2027.csv", line=3, column="kind", message="not a kind"))
    '2027.csv line 3, column kind: not a kind'
    """

    def __init__(self, *, source: str, line: int, column: str, message: str) -> None:
        super().__init__(f"{source} line {line}, column {column}: {message}")
        self.source = source
        self.line = line
        self.column = column
        self.detail = message


def records(
    path: Path,
    *,
    required: Sequence[str],
    allowed: Collection[str] | None = None,
    non_empty: Sequence[str] = (),
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, stripped row) for each data line of the CSV file at ``path``.

    The header must hold every ``required`` column, no column twice and, when ``allowed`` is
    given, no other column; the values of ``non_empty`` columns must not be blank; a row with
    more values than the header is refused, a shorter one padded with blanks.
    """
    source = path.name
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(_blank_comments(handle))
        header: list[str] | None = None
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            line = reader.line_num
            if header is None:
                header = [cell.strip() for cell in cells]
                _check_header(source, line, header, required=required, allowed=allowed)
                continue
            if len(cells) > len(header):
                raise DataFileError(
                    source=source,
                    line=line,
                    column=header[-1],
                    message=f"{len(cells)} values but the header has {len(header)} columns "
                    "(quote values that contain commas)",
                )
            padded = [*cells, *[""] * (len(header) - len(cells))]
            row = {column: value.strip() for column, value in zip(header, padded, strict=True)}
            for column in non_empty:
                if not row[column]:
                    raise DataFileError(
                        source=source, line=line, column=column, message=f"{column} is empty"
                    )
            yield line, row
        if header is None:
            raise DataFileError(
                source=source,
                line=max(reader.line_num, 1),
                column=required[0],
                message=f"no header line (expected {','.join(allowed or required)})",
            )


def _check_header(
    source: str,
    line: int,
    header: Sequence[str],
    *,
    required: Sequence[str],
    allowed: Collection[str] | None,
) -> None:
    """Refuse a header with an unknown column or one twice, then one that lacks a required one."""
    seen: set[str] = set()
    for column in header:
        if allowed is not None and column not in allowed:
            raise DataFileError(
                source=source,
                line=line,
                column=column,
                message=f"unknown column {column!r} (expected {', '.join(allowed)})",
            )
        if column in seen:
            raise DataFileError(
                source=source, line=line, column=column, message=f"column {column!r} twice"
            )
        seen.add(column)
    for column in required:
        if column not in header:
            raise DataFileError(
                source=source, line=line, column=column, message=f"missing column {column!r}"
            )


def _blank_comments(lines: Iterable[str]) -> Iterator[str]:
    """Replace ``#`` comment lines by blank ones so the csv line numbers stay true."""
    for text in lines:
        yield "\n" if text.lstrip().startswith("#") else text
