"""importers: id map, checkpoints, quarantine, reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Placeholder reserved so that parallel work chains linearly (0001 -> 0002 -> 0003 -> 0004);
the owner of this revision fills in upgrade/downgrade.
"""
from __future__ import annotations

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
