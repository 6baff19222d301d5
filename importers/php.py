"""Reading PHP data the source systems leave behind: ``serialize()`` strings and config files.

Blesta stores meta values with ``serialized=1`` and BoxBilling keeps domain WHOIS details as
PHP ``serialize()`` output; both installs keep their database credentials and encryption key in
a PHP file (``config/blesta.php``, ``bb-config.php``, ``config.php``). Nothing here executes PHP:
the config reader understands literal arrays, strings, numbers, booleans and null, which is all
those files contain in practice, and refuses anything else with the position it stopped at.
"""

from __future__ import annotations

import re
from typing import Any


class PhpFormatError(ValueError):
    """A serialized value or a config file could not be read."""


# ---------------------------------------------------------------- unserialize


def php_unserialize(data: str | bytes) -> Any:
    """Decode one PHP ``serialize()`` value.

    Arrays become dicts (PHP arrays are ordered maps) unless their keys are exactly 0..n-1, in
    which case they become lists; objects become dicts with a ``__class__`` key. String lengths
    are byte counts, so the input is handled as UTF-8 bytes. Raises PhpFormatError.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    value, end = _unserialize_at(raw, 0)
    if end != len(raw):
        raise PhpFormatError(f"trailing data after serialized value at byte {end}")
    return value


def _read_until(raw: bytes, pos: int, stop: bytes) -> tuple[bytes, int]:
    end = raw.find(stop, pos)
    if end < 0:
        raise PhpFormatError(f"expected {stop!r} after byte {pos}")
    return raw[pos:end], end + len(stop)


def _unserialize_at(raw: bytes, pos: int) -> tuple[Any, int]:
    if pos >= len(raw):
        raise PhpFormatError("unexpected end of serialized data")
    kind = raw[pos : pos + 1]
    if kind == b"N":
        if raw[pos : pos + 2] != b"N;":
            raise PhpFormatError(f"bad null at byte {pos}")
        return None, pos + 2
    if raw[pos + 1 : pos + 2] != b":":
        raise PhpFormatError(f"unknown serialized type {kind!r} at byte {pos}")
    if kind in (b"i", b"b", b"d"):
        text, end = _read_until(raw, pos + 2, b";")
        try:
            if kind == b"i":
                return int(text), end
            if kind == b"b":
                return text == b"1", end
            return float(text), end
        except ValueError as exc:
            raise PhpFormatError(f"bad number {text!r} at byte {pos}") from exc
    if kind == b"s":
        length_text, start = _read_until(raw, pos + 2, b":")
        length = int(length_text)
        if raw[start : start + 1] != b'"' or raw[start + 1 + length : start + 3 + length] != b'";':
            raise PhpFormatError(f"string length {length} does not match at byte {pos}")
        return raw[start + 1 : start + 1 + length].decode("utf-8", "replace"), start + 3 + length
    if kind == b"a":
        count_text, start = _read_until(raw, pos + 2, b":")
        return _read_array(raw, start, int(count_text))
    if kind == b"O":
        _len, start = _read_until(raw, pos + 2, b":")
        class_name, start = _read_until(raw, start, b":")
        count_text, start = _read_until(raw, start, b":")
        obj, end = _read_array(raw, start, int(count_text))
        result = dict(obj) if isinstance(obj, dict) else dict(enumerate(obj))
        result["__class__"] = class_name.strip(b'"').decode("utf-8", "replace")
        return result, end
    raise PhpFormatError(f"unsupported serialized type {kind!r} at byte {pos}")


def _read_array(raw: bytes, pos: int, count: int) -> tuple[Any, int]:
    if raw[pos : pos + 1] != b"{":
        raise PhpFormatError(f"expected '{{' at byte {pos}")
    pos += 1
    items: dict[Any, Any] = {}
    for _ in range(count):
        key, pos = _unserialize_at(raw, pos)
        items[key], pos = _unserialize_at(raw, pos)
    if raw[pos : pos + 1] != b"}":
        raise PhpFormatError(f"expected '}}' at byte {pos}")
    if list(items) == list(range(len(items))):
        return list(items.values()), pos + 1
    return items, pos + 1


# ---------------------------------------------------------------- PHP literals in config files

_TOKEN = re.compile(
    r"""\s+|//[^\n]*|\#[^\n]*|/\*.*?\*/            # whitespace and comments
    |(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")   # quoted strings
    |(?P<num>-?\d+(?:\.\d+)?)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)?)
    |(?P<op>=>|[\[\](),;=])""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "$": "$", "'": "'"}


def _unquote(token: str) -> str:
    body = token[1:-1]
    if token[0] == "'":
        return body.replace("\\'", "'").replace("\\\\", "\\")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            # anything we cannot read (a function call, a variable) becomes an opaque marker
            out.append(("other", source[pos]))
            pos += 1
            continue
        pos = match.end()
        for kind in ("str", "num", "word", "op"):
            if match.group(kind) is not None:
                out.append((kind, match.group(kind)))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], start: int) -> None:
        self.tokens, self.pos = tokens, start

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("eof", "")

    def take(self, text: str) -> None:
        if self.peek()[1] != text:
            raise PhpFormatError(f"expected {text!r} but found {self.peek()[1]!r}")
        self.pos += 1

    def value(self) -> Any:
        kind, text = self.peek()
        self.pos += 1
        if kind == "str":
            return _unquote(text)
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "word" and text.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text.lower()]
        if kind == "word" and text.lower() == "array":
            self.take("(")
            return self.array(")")
        if text == "[":
            return self.array("]")
        raise PhpFormatError(f"cannot read PHP value starting at {text!r}")

    def array(self, close: str) -> Any:
        items: dict[Any, Any] = {}
        index = 0
        while self.peek()[1] != close:
            first = self.value()
            if self.peek()[1] == "=>":
                self.pos += 1
                items[first] = self.value()
            else:
                items[index] = first
                index += 1
            if self.peek()[1] == ",":
                self.pos += 1
            elif self.peek()[1] != close:
                raise PhpFormatError(f"expected ',' or {close!r} but found {self.peek()[1]!r}")
        self.pos += 1
        if items and list(items) == list(range(len(items))):
            return list(items.values())
        return items


def php_return_array(source: str) -> dict[Any, Any]:
    """The literal array a PHP config file ``return``s (BoxBilling/FOSSBilling style)."""
    tokens = _tokens(source)
    for index, (kind, text) in enumerate(tokens):
        if kind == "word" and text == "return":
            value = _Parser(tokens, index + 1).value()
            if not isinstance(value, dict):
                raise PhpFormatError("the config file does not return an array")
            return value
    raise PhpFormatError("no 'return [...]' found in the config file")


def php_configure_calls(source: str) -> dict[str, Any]:
    """Every ``Configure::set("name", value)`` with a literal value (Blesta style).

    Calls whose value is not a literal (a constant, a function call) are left out.
    """
    tokens = _tokens(source)
    found: dict[str, Any] = {}
    for index, (kind, text) in enumerate(tokens):
        if kind != "word" or text != "Configure::set":
            continue
        parser = _Parser(tokens, index + 1)
        try:
            parser.take("(")
            name = parser.value()
            parser.take(",")
            found[str(name)] = parser.value()
        except PhpFormatError:
            continue
    return found
