"""the dispatcher's queue filtered by status and priority from one index (issue 18)

With ten times the work orders (country demo data), SQLite answered the queue filtered by
status and priority through ix_work_orders_status_resolution_due (status only): its count and
its page read every order of those statuses from the table (14,000 for new + scheduled) to
test the priority. On (status, priority) both filters are one index search: the count reads
the index alone and the page reads only the matching orders.

Revision ID: 0121queuefilter
Revises: 0120optmodel
Create Date: 2026-11-30 14:30:00
"""
from alembic import op

revision = '0121queuefilter'
down_revision = '0120optmodel'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_work_orders_status_priority', 'work_orders', ['status', 'priority'])


def downgrade():
    op.drop_index('ix_work_orders_status_priority', table_name='work_orders')
