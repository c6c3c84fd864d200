"""Agents and operations: internal notes, merges, customer time zones, heartbeats, reports, alerts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 01:00:00

* ``messages.internal``: an agents-only note, never relayed to the customer.
* ``tickets.merged_into_id``: set by ``#merge``; the merged ticket is closed.
* ``customers.timezone``: the customer's IANA zone for the times we quote them.
* ``heartbeats``: one row a minute per instance, what was working (availability).
* ``report_runs``: unique (kind, period_start), so each periodic report goes out once.
* ``alert_states``: whether an alert condition is active, for one mail at start and clear.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild: other tables' foreign keys point at these); the
    # server defaults stay so existing rows and any older writer get a value.
    op.add_column('messages', sa.Column('internal', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('customers', sa.Column('timezone', sa.String(length=64), nullable=False, server_default=''))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_tickets_merged_into_id_tickets'), 'tickets', ['merged_into_id'], ['id'])

    op.create_table('heartbeats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('instance', sa.String(length=128), nullable=False),
    sa.Column('mailboxes_ok', sa.Boolean(), nullable=False),
    sa.Column('pipeline_ok', sa.Boolean(), nullable=False),
    sa.Column('outbox_ok', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heartbeats'))
    )
    with op.batch_alter_table('heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heartbeats_at'), ['at'], unique=False)
    op.create_table('report_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('period_start', sa.String(length=10), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_runs')),
    sa.UniqueConstraint('kind', 'period_start', name=op.f('uq_report_runs_kind_period_start'))
    )
    op.create_table('alert_states',
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_mail_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_alert_states'))
    )


def downgrade() -> None:
    op.drop_table('alert_states')
    op.drop_table('report_runs')
    with op.batch_alter_table('heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heartbeats_at'))
    op.drop_table('heartbeats')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('timezone')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_merged_into_id_tickets'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('internal')
