"""hardening: token versions (revocable sessions)

Revision ID: 0105hardb
Revises: 0006integrate
Create Date: 2026-11-30 00:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0105hardb'
down_revision = '0006integrate'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('token_version', sa.Integer(), server_default='0',
                                     nullable=False))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('token_version')
