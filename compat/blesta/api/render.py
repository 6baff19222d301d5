"""Blesta's three formats: JSON (as PHP json_encode writes it), XML (minPHP Xml::makeXml layout)
and PHP ``serialize`` (rows as stdClass objects, lists and :class:`PhpArray` maps as arrays)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask import Response

from bridge import wire_json


class PhpArray(dict[Any, Any]):
    """A map Blesta builds as a PHP associative array (status names, settings ``{key: value}``):
    ``serialize`` writes it as ``a:N:{...}``. Every other mapping is a database row (PDO
    FETCH_OBJ) or an object Blesta builds, written as ``O:8:"stdClass"``. JSON and XML do not
    tell the two apart."""


_INT_KEY = re.compile(r"^(0|-?[1-9][0-9]{0,18})$")
MIMETYPES = {"json": "application/json", "xml": "application/xml", "php": "text/plain"}


def render(model: str, body: dict[str, Any], fmt: str, status: int) -> Response:
    """The envelope ``body`` (message, errors, response) in ``fmt``."""
    text: str | bytes
    if fmt == "xml":
        text = to_xml(model, body)
    elif fmt == "php":
        text = php_serialize(body)
    else:
        # as PHP's json_encode writes it: compact, ASCII only, slashes escaped
        text = wire_json.dumps(body, ascii_only=True).replace(b"/", b"\\/")
    return Response(text, status=status, mimetype=MIMETYPES.get(fmt, "application/json"))


def xml_root(model: str) -> str:
    """``client_groups`` -> ``clientgroups``; plugin models keep their dot."""
    return ".".join(part.replace("_", "").lower() for part in model.split("."))


def to_xml(model: str, body: dict[str, Any]) -> str:
    """``<?xml ...?>`` then ``<model>`` holding one element per envelope key."""
    lines = ['<?xml version="1.0" encoding="UTF-8" ?>']
    root = xml_root(model)
    lines.append(f"<{root}>")
    for key, value in body.items():
        lines.extend(_element(key, value, 1))
    lines.append(f"</{root}>")
    return "\n".join(lines)


def _tag(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum() or ch in "_:.-") or "item"


def _escape(text: str) -> str:
    out = []
    for ch in text:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == '"':
            out.append("&quot;")
        elif ch == "`":
            out.append("&apos;")
        elif ch in "\t\n\r":
            out.append(f"&#{ord(ch)};")
        elif ord(ch) < 32:
            continue
        else:
            out.append(ch)
    return "".join(out)


def _element(name: str, value: Any, depth: int) -> list[str]:
    indent = "\t" * depth
    tag = _tag(name)
    if isinstance(value, list):
        # a numbered list repeats the parent's tag for each item
        return [line for item in value for line in _element(name, item, depth)] or \
            [f"{indent}<{tag} />"]
    if isinstance(value, Mapping):
        if not value:
            return [f"{indent}<{tag} />"]
        inner = [line for k, v in value.items() for line in _element(str(k), v, depth + 1)]
        return [f"{indent}<{tag}>", *inner, f"{indent}</{tag}>"]
    if value is None or value is False or value == "":
        return [f"{indent}<{tag} />"]
    text = "1" if value is True else _escape(str(value))
    return [f"{indent}<{tag}>{text}</{tag}>"]


def _php_key(key: Any) -> str:
    """An array key: PHP stores a canonical decimal-integer string key ("7", "-3"; not "07",
    "+7" or "-0") that fits in 64 bits as an int."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"i:{key};"
    text = str(key)
    if _INT_KEY.match(text) and -(2**63) <= int(text) < 2**63:
        return f"i:{text};"
    return php_serialize(text)


def php_serialize(value: Any) -> str:
    """PHP ``serialize``: :class:`PhpArray` maps and lists become arrays, other dicts stdClass
    objects (as PDO FETCH_OBJ rows are), Decimals their string form."""
    if value is None:
        return "N;"
    if isinstance(value, bool):
        return f"b:{int(value)};"
    if isinstance(value, int):
        return f"i:{value};"
    if isinstance(value, list):
        body = "".join(f"i:{i};{php_serialize(v)}" for i, v in enumerate(value))
        return f"a:{len(value)}:{{{body}}}"
    if isinstance(value, PhpArray):
        body = "".join(_php_key(k) + php_serialize(v) for k, v in value.items())
        return f"a:{len(value)}:{{{body}}}"
    if isinstance(value, Mapping):
        body = "".join(php_serialize(str(k)) + php_serialize(v) for k, v in value.items())
        return f'O:8:"stdClass":{len(value)}:{{{body}}}'
    text = str(value) if not isinstance(value, Decimal) else format(value, "f")
    return f's:{len(text.encode("utf-8"))}:"{text}";'
