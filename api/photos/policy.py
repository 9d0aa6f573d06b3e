"""Which cases need after-photos (处置后照片) before they are resolved and verified, as data
(pure).

File format (``data/after_photos.csv``, read with :func:`read_policy`; ``#`` comments and
blank lines are skipped but counted)::

    category,min_photos,description
    *,0,"no after-photos unless a row below says so"
    E03,1,"施工管理：处置后须留存照片"
    E0303,2,"违法建设：拆除前后对照"

``category`` is a category code (``E0303``), a group (``E03``: its sub-categories too) or
``*`` (every other category); the longest code that begins a case's category decides.
``min_photos`` is how many after-photos, from 0 up to the photos one request may carry, the
case's departments must attach: the overall lead's resolution is refused without them (the
photos its supporting departments attached count), and so is a confirming verification. A
case resolved locally by its street or community has no departments and needs none. Every
mistake raises a :class:`~geo.datafile.DataFileError` naming file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from geo.datafile import DataFileError, records

POLICY_FILE = "after_photos.csv"
DEFAULT = "*"
COLUMNS: tuple[str, ...] = ("category", "min_photos", "description")
_CODE = re.compile(r"^[A-Z][0-9]{2}([0-9]{2})?$")


@dataclass(frozen=True)
class AfterPhotoPolicy:
    """How many after-photos each category needs.

    >>> policy = AfterPhotoPolicy({"E03": 1, "E0303": 2})
    >>> policy.required("E0303"), policy.required("E0301"), policy.required("E0401")
    (2, 1, 0)
    """

    by_category: Mapping[str, int] = field(default_factory=dict)
    default: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_category", MappingProxyType(dict(self.by_category)))

    def required(self, category: str) -> int:
        """The after-photos a case of ``category`` needs (the longest matching code's)."""
        for length in range(len(category), 0, -1):
            found = self.by_category.get(category[:length])
            if found is not None:
                return found
        return self.default


def read_policy(
    path: Path, *, max_photos: int, categories: Collection[str] | None = None
) -> AfterPhotoPolicy:
    """The policy of an ``after_photos.csv`` file; ``categories`` (when given) are the codes a
    row may name, ``max_photos`` the most ``min_photos`` may ask for."""
    source = path.name
    by_category: dict[str, int] = {}
    lines: dict[str, int] = {}
    default = 0
    rows = records(
        path, required=COLUMNS[:2], allowed=COLUMNS, non_empty=("category", "min_photos")
    )
    for line, row in rows:
        code = row["category"]

        def wrong(column: str, message: str, line: int = line) -> DataFileError:
            return DataFileError(source=source, line=line, column=column, message=message)

        if code in lines:
            raise wrong("category", f"duplicate category {code!r} (also line {lines[code]})")
        if code != DEFAULT and not _CODE.match(code):
            raise wrong("category", f"{code!r} is not a category code (E0303), group (E03) or *")
        if code != DEFAULT and categories is not None and code not in categories:
            raise wrong("category", f"unknown category {code!r} (not in categories.csv)")
        text = row["min_photos"]
        if not (text.isascii() and text.isdigit()):
            raise wrong("min_photos", f"min_photos must be a whole number, not {text!r}")
        count = int(text)
        if count > max_photos:
            raise wrong(
                "min_photos",
                f"min_photos {count} is more than the {max_photos} photos a resolution may carry",
            )
        lines[code] = line
        if code == DEFAULT:
            default = count
        else:
            by_category[code] = count
    return AfterPhotoPolicy(by_category, default)
