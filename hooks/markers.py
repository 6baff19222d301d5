"""The pluggy markers of the ``bridge`` project (import them from :mod:`hooks`)."""

from __future__ import annotations

import pluggy

PROJECT = "bridge"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
