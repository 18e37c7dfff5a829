"""dispatch optimization runs and planned visits

Revision ID: 0005dispatchplans
Revises: 0004dispatch
Create Date: 2026-11-22 11:33:01.635592
"""
import sqlalchemy as sa
from alembic import op

import app.db

revision = '0005dispatchplans'
down_revision = '0004dispatch'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('optimization_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('plan_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('base_run_id', sa.Integer(), nullable=True),
    sa.Column('keep_assigned', sa.Boolean(), nullable=False),
    sa.Column('time_limit_s', sa.Float(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('inputs_digest', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('objective', sa.Float(), nullable=True),
    sa.Column('kpis', sa.JSON(), nullable=True),
    sa.Column('solver_stats', sa.JSON(), nullable=True),
    sa.Column('unassigned', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('applied_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('applied_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('plan', 'insertion')", name=op.f('ck_optimization_runs_kind_known')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'applied')", name=op.f('ck_optimization_runs_status_known')),
    sa.CheckConstraint('time_limit_s > 0', name=op.f('ck_optimization_runs_time_limit_positive')),
    sa.ForeignKeyConstraint(['applied_by_id'], ['users.id'], name=op.f('fk_optimization_runs_applied_by_id_users')),
    sa.ForeignKeyConstraint(['base_run_id'], ['optimization_runs.id'], name=op.f('fk_optimization_runs_base_run_id_optimization_runs')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_optimization_runs_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_optimization_runs'))
    )
    with op.batch_alter_table('optimization_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_optimization_runs_plan_date'), ['plan_date'], unique=False)

    op.create_table('planned_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('work_order_version', sa.Integer(), nullable=True),
    sa.Column('stock_location_id', sa.Integer(), nullable=True),
    sa.Column('picked', sa.JSON(), nullable=True),
    sa.Column('planned_arrival', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('planned_start', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('planned_end', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('travel_m', sa.Integer(), nullable=False),
    sa.Column('travel_s', sa.Integer(), nullable=False),
    sa.CheckConstraint("(kind = 'job') = (work_order_id IS NOT NULL)", name=op.f('ck_planned_visits_job_has_order')),
    sa.CheckConstraint("kind IN ('job', 'pickup')", name=op.f('ck_planned_visits_kind_known')),
    sa.CheckConstraint('planned_end >= planned_start AND planned_start >= planned_arrival', name=op.f('ck_planned_visits_times_ordered')),
    sa.ForeignKeyConstraint(['run_id'], ['optimization_runs.id'], name=op.f('fk_planned_visits_run_id_optimization_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stock_location_id'], ['stock_locations.id'], name=op.f('fk_planned_visits_stock_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_planned_visits_technician_id_technicians')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_planned_visits_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_visits')),
    sa.UniqueConstraint('run_id', 'technician_id', 'sequence', name='uq_planned_visits_slot')
    )
    with op.batch_alter_table('planned_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_planned_visits_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_planned_visits_work_order_id'), ['work_order_id'], unique=False)



def downgrade():
    with op.batch_alter_table('planned_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_planned_visits_work_order_id'))
        batch_op.drop_index(batch_op.f('ix_planned_visits_run_id'))

    op.drop_table('planned_visits')
    with op.batch_alter_table('optimization_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_optimization_runs_plan_date'))

    op.drop_table('optimization_runs')
