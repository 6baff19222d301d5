"""importers: id map, checkpoints, quarantine, reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Adds ``import_runs`` (one row per ``bridge import`` run with its stored report) and
``import_checkpoints`` (per run and entity: last committed source id and counts). The id map
and quarantine tables exist since 0001.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bridge.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('source_version', sa.String(length=64), nullable=False),
    sa.Column('source_url', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('started_at', bridge.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', bridge.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_runs_source'), ['source'], unique=False)

    op.create_table('import_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('last_source_id', sa.Integer(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('read', sa.Integer(), nullable=False),
    sa.Column('inserted', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('quarantined', sa.Integer(), nullable=False),
    sa.Column('updated_at', bridge.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['import_runs.id'],
                            name=op.f('fk_import_checkpoints_run_id_import_runs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_checkpoints')),
    sa.UniqueConstraint('run_id', 'entity', name=op.f('uq_import_checkpoints_run_id_entity'))
    )


def downgrade() -> None:
    # MariaDB: drop the tables before their indexes (an index backing a FK cannot go first)
    op.drop_table('import_checkpoints')
    op.drop_table('import_runs')
