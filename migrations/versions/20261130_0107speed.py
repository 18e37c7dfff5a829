"""the dispatcher's queue in SLA order from an index; technicians' visits by time (issue 18)

The expressions are those of app.workorders.models.sla_queue_order(), character for
character (SQLite matches an expression index only on the same expression), each in
parentheses as PostgreSQL requires.

Revision ID: 0107speed
Revises: 0006integrate
Create Date: 2026-11-30 00:45:00
"""

from alembic import op

revision = '0107speed'
down_revision = '0006integrate'
branch_labels = None
depends_on = None

_URGENCY = ("CASE WHEN (responded_at IS NULL AND response_due_at IS NOT NULL) "
            "THEN response_due_at ELSE resolution_due_at END")
_FINISHED_LAST = ("CASE WHEN (status IN ('completed', 'closed', 'cancelled')) "
                  "THEN 1 ELSE 0 END")


def upgrade():
    op.execute(
        "CREATE INDEX ix_work_orders_sla_queue ON work_orders "
        f"(({_FINISHED_LAST}), ({_URGENCY} IS NULL), ({_URGENCY}), priority, id)")
    op.create_index('ix_work_orders_assignee_scheduled', 'work_orders',
                    ['assignee_user_id', 'scheduled_start'])


def downgrade():
    op.drop_index('ix_work_orders_assignee_scheduled', table_name='work_orders')
    op.drop_index('ix_work_orders_sla_queue', table_name='work_orders')
