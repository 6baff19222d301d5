"""Reading WHMCS API parameters: PHP bracket arrays, PHP booleans and PHP ``serialize``.

``pid[0]=1&pid[1]=3`` becomes ``{"pid": {"0": "1", "1": "3"}}``, ``k[]=a&k[]=b`` appends,
``pricing[1][monthly]=9.99`` nests. :func:`as_list` turns a bracket array back into a list.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from typing import Any

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
TRUE = {"1", "true", "on", "yes", "y"}
FALSE = {"0", "false", "off", "no", "n", ""}


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Merge ``(key, value)`` pairs into nested dicts the way PHP builds ``$_REQUEST``."""
    out: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if not match:
            out[raw_key] = value
            continue
        name, brackets = match.group(1), match.group(2)
        parts = re.findall(r"\[([^\[\]]*)\]", brackets)
        if not parts:
            out[name] = value
            continue
        node = out.setdefault(name, {})
        if not isinstance(node, dict):
            node = out[name] = {"0": node}
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            key = part if part != "" else str(len(node))
            if last:
                node[key] = value
            else:
                child = node.setdefault(key, {})
                if not isinstance(child, dict):
                    child = node[key] = {"0": child}
                node = child
    return out


def as_list(value: Any) -> list[Any]:
    """A bracket array (dict with index keys), a list, or a scalar, as a list in index order."""
    if value is None or value == "":
        return []
    if isinstance(value, Mapping):
        def order(key: str) -> tuple[int, int | str]:
            return (0, int(key)) if key.isdigit() else (1, key)
        return [value[k] for k in sorted(value, key=order)]
    if isinstance(value, list):
        return value
    return [value]


def as_bool(value: Any, default: bool = False) -> bool:
    """PHP-ish truthiness of a parameter: 1/true/on/yes; 0/false/off/no/empty."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return default


# -- PHP serialize ---------------------------------------------------------------------------


class PhpSerializeError(ValueError):
    """The text is not a PHP ``serialize`` string this reader understands."""


def php_unserialize(text: str) -> Any:
    """Read PHP ``serialize`` output: arrays (as dicts), strings, ints, bools, null; floats
    stay strings (money must not pass through float)."""
    data = text.encode("utf-8")
    value, end = _read(data, 0)
    if end != len(data):
        raise PhpSerializeError("trailing data after the serialized value")
    return value


def _read(data: bytes, pos: int) -> tuple[Any, int]:
    try:
        kind = chr(data[pos])
        if kind == "N":
            return None, pos + 2
        if kind in "bid":
            end = data.index(b";", pos)
            raw = data[pos + 2:end].decode()
            value: Any = raw == "1" if kind == "b" else int(raw) if kind == "i" else raw
            return value, end + 1
        if kind == "s":
            colon = data.index(b":", pos + 2)
            length = int(data[pos + 2:colon])
            start = colon + 2
            value = data[start:start + length].decode("utf-8")
            return value, start + length + 2
        if kind == "a":
            colon = data.index(b":", pos + 2)
            count = int(data[pos + 2:colon])
            cursor = colon + 2
            items: dict[str, Any] = {}
            for _ in range(count):
                key, cursor = _read(data, cursor)
                item, cursor = _read(data, cursor)
                items[str(key)] = item
            return items, cursor + 1
    except (IndexError, ValueError) as exc:
        raise PhpSerializeError(f"malformed serialized data at byte {pos}") from exc
    raise PhpSerializeError(f"unsupported serialized type {kind!r} at byte {pos}")


def php_serialize(value: Any) -> str:
    """PHP ``serialize`` of dicts, lists, str, int, bool and None (floats as strings)."""
    if value is None:
        return "N;"
    if isinstance(value, bool):
        return f"b:{int(value)};"
    if isinstance(value, int):
        return f"i:{value};"
    if isinstance(value, Mapping | list):
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        body = "".join(_key(k) + php_serialize(v) for k, v in items)
        return f"a:{len(value)}:{{{body}}}"
    text = str(value)
    return f's:{len(text.encode("utf-8"))}:"{text}";'


def _key(key: Any) -> str:
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return f"i:{int(key)};"
    return php_serialize(str(key))


def decode_serialized_b64(value: Any, field: str) -> dict[str, Any]:
    """``base64_encode(serialize(array(...)))`` as WHMCS clients send customfields and
    configoptions; a bracket array is accepted as it is. ValueError names ``field``."""
    if isinstance(value, Mapping):
        return dict(value)
    if value in (None, ""):
        return {}
    try:
        decoded = base64.b64decode(str(value), validate=False).decode("utf-8")
        result = php_unserialize(decoded)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{field} must be a base64 encoded serialized array") from exc
    if not isinstance(result, dict):
        raise ValueError(f"{field} must be a base64 encoded serialized array")
    return result


def encode_serialized_b64(value: Mapping[Any, Any]) -> str:
    """``base64_encode(serialize($value))``."""
    return base64.b64encode(php_serialize(dict(value)).encode("utf-8")).decode("ascii")
