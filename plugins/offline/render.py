"""Rendering payment instructions: ``str.format`` placeholders, forgiving of mistakes.

An operator writes the template once in the gateway settings; a typo there must not break
every invoice page. So:

- ``{name}``, ``{name:spec}`` and ``{name!s}`` work as in :meth:`str.format` for the known
  placeholders (``{amount:,.2f}`` formats the Decimal amount);
- an unknown placeholder, a positional one (``{0}``), attribute or index access
  (``{iban.upper}``, ``{x[0]}``) or a format spec that does not fit the value is left in
  the text exactly as written (so nothing but the listed values can ever be reached);
- ``{{`` and ``}}`` are literal braces; a line with unbalanced braces is shown as written;
- a line whose known placeholders all rendered empty (a BIC the operator left blank) is
  dropped, so optional settings do not leave "BIC: " lines behind.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from string import Formatter
from typing import Any

log = logging.getLogger(__name__)

_FORMATTER = Formatter()


def render(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with the placeholders of ``values`` filled in (see the module doc)."""
    kept = []
    for line in template.splitlines():
        text, drop = _render_line(line, values)
        if not drop:
            kept.append(text)
    return "\n".join(kept).strip("\n")


def _render_line(line: str, values: Mapping[str, Any]) -> tuple[str, bool]:
    """``(rendered line, drop it)``."""
    try:
        parts = list(_FORMATTER.parse(line))
    except ValueError as exc:
        log.warning("payment instructions: line left unrendered (%s): %r", exc, line)
        return line, False
    out: list[str] = []
    filled = empty = 0
    for literal, field, spec, conversion in parts:
        out.append(literal)
        if field is None:
            continue
        text = _field(field, spec or "", conversion, values)
        if text is None:
            out.append(_original(field, spec, conversion))
            continue
        filled += 1
        empty += text.strip() == ""
        out.append(text)
    return "".join(out), filled > 0 and filled == empty


def _field(name: str, spec: str, conversion: str | None, values: Mapping[str, Any]) -> str | None:
    """The formatted value of a plain known name, or None to leave the placeholder alone."""
    if not name.isidentifier() or name not in values:
        return None
    value = values[name]
    try:
        if conversion:
            value = _FORMATTER.convert_field(value, conversion)
        return format(value, spec)
    except (ValueError, TypeError):
        return None


def _original(field: str, spec: str | None, conversion: str | None) -> str:
    """A placeholder rebuilt as the operator wrote it."""
    suffix = (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
    return "{" + field + suffix + "}"
