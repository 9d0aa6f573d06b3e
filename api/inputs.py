"""The base of every JSON request body: text that PostgreSQL can store.

JSON may carry ``\\u0000`` and unpaired surrogates (``\\ud800``); PostgreSQL text cannot
hold NUL and UTF-8 cannot encode a lone surrogate, so either would fail in the database (a
500) instead of being refused as input (a 422 naming the field).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator


def check_text(text: str) -> str:
    """``text`` if the database can store it; ValueError otherwise."""
    if "\x00" in text:
        raise ValueError("text must not contain NUL (\\u0000) characters")
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise ValueError("text must not contain unpaired surrogates (e.g. \\ud800)") from exc
    return text


class Input(BaseModel):
    """A request body: each string field (and each string of a list field) is checked."""

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str):
            check_text(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    check_text(item)
        return value
