"""Project Management group: registered, answering a clear "not supported" error."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import compat.whmcs.api.actions  # noqa: F401  (registers every action)
from compat.whmcs.api.catalogue import CATALOGUE
from compat.whmcs.api.registry import ACTIONS

PROJECT_ACTIONS = sorted(name for name, group, _ in CATALOGUE if group == "Project Management")


def test_the_group_has_the_ten_catalogue_actions_all_not_supported():
    assert len(PROJECT_ACTIONS) == 10
    for name in PROJECT_ACTIONS:
        spec = ACTIONS[name.lower()]
        assert (spec.group, spec.status) == ("Project Management", "not_supported")
        assert "project management" in spec.notes


@pytest.mark.parametrize("name", PROJECT_ACTIONS)
def test_each_action_answers_a_clear_error(call, name):
    status, body = call(name, projectid=1)
    assert status == 200
    assert body == {"result": "error", "message": f"{name} is not supported by hostbridge: "
                                                  "project management is not part of hostbridge"}


def test_error_in_xml(call):
    status, text = call("GetProjects", fmt="xml")
    root = ET.fromstring(text.encode())
    assert (root.findtext("action"), root.findtext("result")) == ("getprojects", "error")
    assert "not supported" in root.findtext("message")
