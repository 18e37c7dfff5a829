"""hardening: token versions (revocable sessions); append-only tables guarded by triggers

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

# Ledgers and histories: rows are added, never changed or removed, whoever sends the SQL.
APPEND_ONLY_TABLES = ('work_order_events', 'stock_movements', 'asset_status_changes')

PG_APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION fieldops_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def create_append_only_guard(table):
    """UPDATE and DELETE (and TRUNCATE on PostgreSQL) of `table` fail in the database."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_APPEND_ONLY_FUNCTION)
        op.execute(f'CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} '
                   f'FOR EACH ROW EXECUTE FUNCTION fieldops_append_only()')
        op.execute(f'CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} '
                   f'FOR EACH STATEMENT EXECUTE FUNCTION fieldops_append_only()')
        return
    for verb in ('UPDATE', 'DELETE'):
        op.execute(f"CREATE TRIGGER trg_{table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END")


def drop_append_only_guard(table):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}')
        op.execute(f'DROP TRIGGER IF EXISTS trg_{table}_no_truncate ON {table}')
        return
    for verb in ('update', 'delete'):
        op.execute(f'DROP TRIGGER IF EXISTS trg_{table}_no_{verb}')


def upgrade():
    op.add_column('users', sa.Column('token_version', sa.Integer(), server_default='0',
                                     nullable=False))
    for table in APPEND_ONLY_TABLES:
        create_append_only_guard(table)


def downgrade():
    for table in APPEND_ONLY_TABLES:
        drop_append_only_guard(table)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS fieldops_append_only()')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('token_version')
