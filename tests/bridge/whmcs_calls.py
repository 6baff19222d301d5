"""A WHMCS API call through a test client, with the statements it ran that a test watches
(shared by the row count cache and page mark tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event


def whmcs_call(web: Any, identifier: str, secret: str, action: str,
               watch: Callable[[str], bool], **params: Any
               ) -> tuple[dict[str, Any], list[str]]:
    """The JSON answer of a successful ``action`` and the statements it ran that ``watch``
    picks."""
    seen: list[str] = []
    engine = web.application.extensions["bridge"].db.engine

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if watch(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        body = web.post("/includes/api.php", data={
            "action": action, "identifier": identifier, "secret": secret,
            "responsetype": "json", **params}).get_json()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert body["result"] == "success", body
    return body, seen
