"""Rendering a WHMCS response as JSON or as WHMCS's XML layout."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from flask import Response

from bridge import wire_json

API_VERSION = "8.4.0"


def render(action: str, body: dict[str, Any], fmt: str, status: int = 200) -> Response:
    """``body`` (with ``result`` first) as JSON (default) or XML."""
    if fmt == "xml":
        return Response(to_xml(action, body), status=status, mimetype="text/xml")
    # compact as PHP's json_encode writes it; non-ASCII text stays UTF-8 as before
    return Response(wire_json.dumps(body), status=status, mimetype="application/json")


def to_xml(action: str, body: dict[str, Any]) -> str:
    """``<whmcsapi version=..><action>..</action><result>..</result>...</whmcsapi>``; lists
    repeat their element name inside the wrapper, empty lists are left out."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>', f'<whmcsapi version="{API_VERSION}">',
             f"<action>{escape(action.lower())}</action>"]
    for key, value in body.items():
        parts.append(_element(key, value))
    parts.append("</whmcsapi>")
    return "\n".join(part for part in parts if part)


def _element(name: str, value: Any) -> str:
    tag = name if name and (name[0].isalpha() or name[0] == "_") else f"item{name}"
    if isinstance(value, list):
        return "".join(_element(name, item) for item in value)
    if isinstance(value, dict):
        inner = "".join(_element(str(k), v) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, bool):
        text = "1" if value else ""  # as PHP prints booleans
    elif value is None:
        text = ""
    else:
        text = escape(str(value))
    return f"<{tag}>{text}</{tag}>"
