"""join the dispatch-plans and mobile branches into one head

Revision ID: 0006integrate
Revises: 0005dispatchplans, 0005mobile
Create Date: 2026-11-22 12:58:00
"""

revision = '0006integrate'
down_revision = ('0005dispatchplans', '0005mobile')
branch_labels = None
depends_on = None


def upgrade():
    pass  # a merge point only: from here on the history is linear again


def downgrade():
    pass  # nothing to undo: the branches separate again
