"""Project Management group: not part of hostbridge; every action answers a clear error."""

from __future__ import annotations

from ..catalogue import CATALOGUE
from ..registry import not_supported

REASON = "project management is not part of hostbridge"

for _name, _group, _required in CATALOGUE:
    if _group == "Project Management":
        not_supported(_name, REASON)
