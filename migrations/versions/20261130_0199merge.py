"""join the branches of the 2026-11-30 work into one head

Revision ID: 0199merge
Revises: 0102loopb, 0105hardb, 0107speed, 0108maint, 0111automation
Create Date: 2026-11-30 01:20:00
"""

revision = '0199merge'
down_revision = ('0102loopb', '0105hardb', '0107speed', '0108maint', '0111automation')
branch_labels = None
depends_on = None


def upgrade():
    pass  # a merge point only: from here on the history is linear again


def downgrade():
    pass  # nothing to undo: the branches separate again
