"""automation: scheduler lock, job runs, outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

The runner lock (``job_locks``), the record of job runs (``automation_runs``) and the marks of
one-off side effects (``automation_marks``). The outbox itself landed in 0001.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bridge.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_locks',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('acquired_at', bridge.db.UTCDateTime(), nullable=True),
    sa.Column('expires_at', bridge.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_locks'))
    )
    op.create_table('automation_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('started_at', bridge.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', bridge.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_automation_runs'))
    )
    with op.batch_alter_table('automation_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_automation_runs_job'), ['job'], unique=False)
        batch_op.create_index(batch_op.f('ix_automation_runs_run_date'), ['run_date'],
                              unique=False)
    op.create_table('automation_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=64), nullable=False),
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('created_at', bridge.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_automation_marks')),
    sa.UniqueConstraint('kind', 'subject_type', 'subject_id', 'tag',
                        name=op.f('uq_automation_marks_kind_subject_type_subject_id_tag'))
    )


def downgrade() -> None:
    op.drop_table('automation_marks')
    # MariaDB: drop the table before its indexes (an index may back a constraint)
    op.drop_table('automation_runs')
    op.drop_table('job_locks')
