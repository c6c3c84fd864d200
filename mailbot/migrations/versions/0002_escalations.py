"""SLA escalations: the escalations table, tickets.assigned_level and tickets.next_due_at

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00

* ``escalations`` records every SLA warning, escalation and page sent, unique on
  (ticket_id, deadline, level, kind): the database makes each one fire once.
* ``tickets.assigned_level`` is the level that owns the ticket (1-3); ``tickets.level``
  becomes the level currently handling it, raised by escalations. Existing tickets were
  never escalated, so their assigned level is their level.
* ``tickets.next_due_at`` (indexed) is when the escalation sweep next has to look at a
  ticket, so a sweep reads only the tickets that are due instead of every open one.
  Existing open and waiting tickets are marked to be looked at by the first sweep
  (2000-01-01, mailbot.models.CHECK_NOW); the others have nothing due (NULL).
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.String(length=32), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_escalations_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
    sa.UniqueConstraint('ticket_id', 'deadline', 'level', 'kind', name=op.f('uq_escalations_ticket_id_deadline_level_kind'))
    )
    # Added with a server default so existing rows get a value, filled from level below,
    # then the default is dropped again (the application always sets it).
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_level', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True))
    tickets = sa.table('tickets', sa.column('level', sa.Integer()), sa.column('assigned_level', sa.Integer()),
                       sa.column('status', sa.String()), sa.column('next_due_at', sa.DateTime(timezone=True)))
    op.execute(tickets.update().values(assigned_level=tickets.c.level))
    op.execute(tickets.update().where(tickets.c.status.in_(('open', 'waiting')))
               .values(next_due_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('assigned_level', server_default=None)
        batch_op.create_index(batch_op.f('ix_tickets_next_due_at'), ['next_due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_next_due_at'))
        batch_op.drop_column('next_due_at')
        batch_op.drop_column('assigned_level')
    op.drop_table('escalations')
