"""The one error of a wrong data file (calendar years, SLA and supervision policies, address
registers): it names the file, the line and the column."""

from __future__ import annotations


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
