"""Configuration fields a module declares, and their validation.

A module lists :class:`ConfigField` s (like WHMCS ``ConfigOptions()`` / ``getConfigArray()`` or
Blesta's ``getModuleRowFields``); the host renders them, validates what an operator enters with
:func:`validate_config`, and stores ``secret`` fields encrypted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FIELD_TYPES = ("text", "password", "number", "bool", "select", "textarea")


@dataclass(frozen=True)
class ConfigField:
    """One setting of a module.

    ``type`` is one of text, password, number, bool, select, textarea; ``options`` lists the
    allowed values of a select; ``secret`` marks values stored encrypted and never shown back;
    ``pattern`` is an optional regular expression the value must match.
    """

    name: str
    label: str
    type: str = "text"
    required: bool = False
    default: str = ""
    options: tuple[str, ...] = ()
    secret: bool = False
    description: str = ""
    pattern: str = ""

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"config field {self.name!r}: unknown type {self.type!r}")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def validate_config(
    fields: Sequence[ConfigField], values: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Check ``values`` against ``fields``.

    Returns ``(clean, errors)``: ``clean`` maps every declared field to its string value
    (defaults filled in, booleans as "1"/"0"); ``errors`` maps field name -> message for each
    problem (missing required value, unknown select option, not a number, pattern mismatch,
    a key no field declares).
    """
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    declared = {f.name for f in fields}
    for key in values:
        if key not in declared:
            errors[key] = f"unknown setting {key!r}"
    for field in fields:
        raw = values.get(field.name, field.default)
        text = "" if raw is None else str(raw).strip()
        if field.type == "bool":
            lowered = text.lower()
            if lowered not in _TRUE | _FALSE:
                errors[field.name] = f"{field.label}: expected yes or no"
            clean[field.name] = "1" if lowered in _TRUE else "0"
            continue
        if field.required and not text:
            errors[field.name] = f"{field.label} is required"
        elif text and field.type == "number" and not re.fullmatch(r"-?\d+(\.\d+)?", text):
            errors[field.name] = f"{field.label}: expected a number"
        elif text and field.type == "select" and field.options and text not in field.options:
            errors[field.name] = f"{field.label}: choose one of {', '.join(field.options)}"
        elif text and field.pattern and not re.fullmatch(field.pattern, text):
            errors[field.name] = f"{field.label}: invalid format"
        clean[field.name] = text
    return clean, errors
