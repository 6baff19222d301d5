"""automation: scheduler lock, job runs, outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Placeholder reserved so that parallel work chains linearly (0001 -> 0002 -> 0003 -> 0004);
the owner of this revision fills in upgrade/downgrade.
"""
from __future__ import annotations

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
