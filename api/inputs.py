"""The base of every JSON request body: text that PostgreSQL can store.

JSON may carry ``\\u0000`` and unpaired surrogates (``\\ud800``); PostgreSQL text cannot
hold NUL and UTF-8 cannot encode a lone surrogate, so either would fail in the database (a
500) instead of being refused as input (a 422 naming the field).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

# what ``check_text`` refuses, in the document (a client sees that NUL is not text here); an
# unpaired surrogate cannot be written in a pattern and JSON generators do not produce one
STORABLE_TEXT = "^[^\\u0000]*$"


def check_text(text: str) -> str:
    """``text`` if the database can store it; ValueError otherwise."""
    if "\x00" in text:
        raise ValueError("text must not contain NUL (\\u0000) characters")
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise ValueError("text must not contain unpaired surrogates (e.g. \\ud800)") from exc
    return text


def _storable_in_schema(schema: dict[str, Any]) -> None:
    """Give each string of a JSON schema node (a member of ``anyOf``, an array's items) the
    NUL-free pattern unless it has a pattern of its own."""
    if schema.get("type") == "string" and "pattern" not in schema and "enum" not in schema:
        schema["pattern"] = STORABLE_TEXT
    for member in schema.get("anyOf", ()):
        _storable_in_schema(member)
    items = schema.get("items")
    if isinstance(items, dict):
        _storable_in_schema(items)


def _document_storable(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        _storable_in_schema(prop)


class Input(BaseModel):
    """A request body: each string field (and each string of a list field) is checked."""

    model_config = ConfigDict(json_schema_extra=_document_storable)

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
