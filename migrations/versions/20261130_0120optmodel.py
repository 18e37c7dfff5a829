"""dispatch: reusable tools (technicians, work orders, warehouses) and warehouse opening hours

Revision ID: 0120optmodel
Revises: 0112apikeys
Create Date: 2026-11-30 04:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0120optmodel'
down_revision = '0112apikeys'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy: these tables have spatial columns on SpatiaLite).
    op.add_column('technicians', sa.Column('tools', sa.JSON(), server_default='[]',
                                           nullable=False))
    op.add_column('work_orders', sa.Column('required_tools', sa.JSON(), server_default='[]',
                                           nullable=False))
    op.add_column('stock_locations', sa.Column('opens_at', sa.Time(), nullable=True))
    op.add_column('stock_locations', sa.Column('closes_at', sa.Time(), nullable=True))
    op.add_column('stock_locations', sa.Column('tools', sa.JSON(), server_default='[]',
                                               nullable=False))


def downgrade():
    op.drop_column('stock_locations', 'tools')
    op.drop_column('stock_locations', 'closes_at')
    op.drop_column('stock_locations', 'opens_at')
    op.drop_column('work_orders', 'required_tools')
    op.drop_column('technicians', 'tools')
