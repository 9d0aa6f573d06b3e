"""Open311 documents as JSON or XML (the Spark convention: the JSON is the XML's mapping).

A document is plain data: dicts, lists, strings, numbers, booleans and None. In XML a list is
a container element whose children are named by :data:`ITEMS` (``services`` → ``service``,
``service_requests`` → ``request`` …), None is an empty element, booleans are
``true``/``false``. In JSON the top-level container is the bare array.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from enum import StrEnum
from typing import Any

from fastapi import Response

ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# characters XML 1.0 cannot carry (C0 controls except tab, newline, carriage return; surrogates;
# U+FFFE/U+FFFF): dropped rather than producing a document no parser accepts
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Format(StrEnum):
    JSON = "json"
    XML = "xml"


MEDIA_TYPES = {Format.JSON: "application/json", Format.XML: "text/xml"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item = ITEMS[element.tag]
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def to_xml(root: str, document: Any) -> bytes:
    """The document as UTF-8 XML with a declaration, rooted at ``root``."""
    element = ET.Element(root)
    _fill(element, document)
    ET.indent(element)
    return (XML_DECLARATION + ET.tostring(element, encoding="unicode")).encode()


def to_json(document: Any) -> bytes:
    """The document as UTF-8 JSON (non-ASCII text kept as is)."""
    return json.dumps(document, ensure_ascii=False).encode()


def render(fmt: Format, root: str, document: Any, status: int = 200) -> Response:
    """An HTTP response carrying ``document`` in ``fmt``."""
    body = to_json(document) if fmt is Format.JSON else to_xml(root, document)
    return Response(body, status, media_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8")


def errors(fmt: Format, status: int, description: str) -> Response:
    """The spec's error document: ``[{"code", "description"}]`` with the HTTP status."""
    return render(fmt, "errors", [{"code": status, "description": description}], status)
