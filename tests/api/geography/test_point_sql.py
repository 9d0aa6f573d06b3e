"""The point lookup's SQL file keeps to the code scheme it cannot import."""

from __future__ import annotations

import re

from api.db.statements import sql_file
from api.geography.locate import POINT_SQL
from geo.codes import CODE_LENGTH


def test_the_names_up_the_hierarchy_take_every_code_length() -> None:
    sql = sql_file(*POINT_SQL).text
    prefixes = sorted(int(n) for n in re.findall(r"left\(d\.code, (\d+)\)", sql))
    assert prefixes == sorted(set(CODE_LENGTH.values()))


def test_the_file_says_why_it_is_raw() -> None:
    assert sql_file(*POINT_SQL).text.startswith("-- Raw because")
