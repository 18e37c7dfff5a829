"""hardening: token versions (revocable sessions); audit log; append-only tables guarded by triggers

Revision ID: 0105hardb
Revises: 0006integrate
Create Date: 2026-11-30 00:40:00
"""

import sqlalchemy as sa
from alembic import op

import app.db

revision = '0105hardb'
down_revision = '0006integrate'
branch_labels = None
depends_on = None

# Ledgers and histories: rows are added, never changed or removed, whoever sends the SQL.
APPEND_ONLY_TABLES = ('work_order_events', 'stock_movements', 'asset_status_changes',
                      'audit_log')

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
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_email', sa.String(length=254), nullable=True),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('target_type', sa.String(length=60), nullable=False),
    sa.Column('target_id', sa.String(length=60), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.CheckConstraint("action IN ('create', 'update', 'delete')", name=op.f('ck_audit_log_action_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_actor_user_id'), 'audit_log', ['actor_user_id'], unique=False)
    op.create_index(op.f('ix_audit_log_occurred_at'), 'audit_log', ['occurred_at'], unique=False)
    op.create_index('ix_audit_log_target', 'audit_log', ['target_type', 'target_id'], unique=False)
    for table in APPEND_ONLY_TABLES:
        create_append_only_guard(table)


def downgrade():
    for table in APPEND_ONLY_TABLES:
        drop_append_only_guard(table)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS fieldops_append_only()')
    op.drop_table('audit_log')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('token_version')
