"""Run the app under gunicorn from ``bridge serve``."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from bridge.app import create_app


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # each worker builds its own app (own engine and pool) after the fork
        return create_app()


def run_gunicorn(host: str, port: int, workers: int) -> None:
    """Serve on ``host:port`` with ``workers`` sync workers until interrupted."""
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "accesslog": "-",
            "errorlog": "-",
            "timeout": 60,
        }
    ).run()
