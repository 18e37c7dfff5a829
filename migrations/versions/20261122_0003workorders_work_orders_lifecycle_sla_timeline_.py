"""work orders: lifecycle, SLA, timeline, fault reports, ratings, notifications outbox

Revision ID: 0003workorders
Revises: 0002assets
Create Date: 2026-11-22 11:23:50.375208
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2  # noqa: F401
import app.db


revision = '0003workorders'
down_revision = '0002assets'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('business_calendars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('weekly_hours', sa.JSON(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_calendars')),
    sa.UniqueConstraint('name', name=op.f('uq_business_calendars_name'))
    )
    op.create_table('rate_limit_windows',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('window_start', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start', name=op.f('pk_rate_limit_windows'))
    )
    with op.batch_alter_table('rate_limit_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_windows_window_start'), ['window_start'], unique=False)

    op.create_table('work_order_number_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_work_order_number_counters'))
    )
    op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sla_tier', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=2), nullable=False),
    sa.Column('response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4')", name=op.f('ck_sla_policies_priority_known')),
    sa.CheckConstraint("sla_tier IN ('platinum', 'gold', 'silver', 'bronze')", name=op.f('ck_sla_policies_sla_tier_known')),
    sa.CheckConstraint('response_minutes > 0 AND resolution_minutes >= response_minutes', name=op.f('ck_sla_policies_targets_positive')),
    sa.ForeignKeyConstraint(['calendar_id'], ['business_calendars.id'], name=op.f('fk_sla_policies_calendar_id_business_calendars')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies')),
    sa.UniqueConstraint('sla_tier', 'priority', name='uq_sla_policies_tier_priority')
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'dropped')", name=op.f('ck_notifications_status_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_notifications_attempts_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_status_next_attempt', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_work_order_id'), ['work_order_id'], unique=False)

    op.create_table('work_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=2), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('hold_reason', sa.String(length=20), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('internal_notes', sa.Text(), nullable=True),
    sa.Column('estimated_duration_min', sa.Integer(), nullable=False),
    sa.Column('assignee_user_id', sa.Integer(), nullable=True),
    sa.Column('scheduled_start', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('scheduled_end', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sla_policy_id', sa.Integer(), nullable=True),
    sa.Column('response_target_min', sa.Integer(), nullable=True),
    sa.Column('resolution_target_min', sa.Integer(), nullable=True),
    sa.Column('response_due_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_due_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_warn_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_warn_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_warned_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_breached_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_warned_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_breached_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sla_paused_since', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('responded_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_notes', sa.Text(), nullable=True),
    sa.Column('failure_code', sa.String(length=40), nullable=True),
    sa.Column('cause_code', sa.String(length=40), nullable=True),
    sa.Column('remedy_code', sa.String(length=40), nullable=True),
    sa.Column('labour_minutes', sa.Integer(), nullable=True),
    sa.Column('first_time_fix', sa.Boolean(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('follow_up_of_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(status = 'on_hold') = (hold_reason IS NOT NULL AND hold_reason IN ('parts', 'customer', 'access'))", name=op.f('ck_work_orders_hold_reason_iff_on_hold')),
    sa.CheckConstraint("channel IN ('dispatcher', 'customer', 'qr_label', 'follow_up')", name=op.f('ck_work_orders_channel_known')),
    sa.CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4')", name=op.f('ck_work_orders_priority_known')),
    sa.CheckConstraint("status IN ('new', 'scheduled', 'dispatched', 'en_route', 'on_site', 'on_hold', 'completed', 'closed', 'cancelled')", name=op.f('ck_work_orders_status_known')),
    sa.CheckConstraint("type IN ('corrective', 'preventive', 'inspection', 'installation')", name=op.f('ck_work_orders_type_known')),
    sa.CheckConstraint('estimated_duration_min > 0', name=op.f('ck_work_orders_duration_positive')),
    sa.CheckConstraint('labour_minutes IS NULL OR labour_minutes >= 0', name=op.f('ck_work_orders_labour_not_negative')),
    sa.CheckConstraint('scheduled_end IS NULL OR scheduled_end > scheduled_start', name=op.f('ck_work_orders_schedule_ordered')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_work_orders_asset_id_assets')),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'], name=op.f('fk_work_orders_assignee_user_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_work_orders_created_by_id_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_work_orders_customer_id_customers')),
    sa.ForeignKeyConstraint(['follow_up_of_id'], ['work_orders.id'], name=op.f('fk_work_orders_follow_up_of_id_work_orders')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_work_orders_site_id_sites')),
    sa.ForeignKeyConstraint(['sla_policy_id'], ['sla_policies.id'], name=op.f('fk_work_orders_sla_policy_id_sla_policies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_work_orders_number'))
    )
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_orders_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_orders_assignee_user_id'), ['assignee_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_orders_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_orders_follow_up_of_id'), ['follow_up_of_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_orders_site_id'), ['site_id'], unique=False)
        batch_op.create_index('ix_work_orders_status_resolution_due', ['status', 'resolution_due_at'], unique=False)

    op.create_table('fault_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('reporter_user_id', sa.Integer(), nullable=True),
    sa.Column('merged', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact', sa.JSON(), nullable=False),
    sa.Column('tracking_token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reporter_user_id'], ['users.id'], name=op.f('fk_fault_reports_reporter_user_id_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_fault_reports_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fault_reports')),
    sa.UniqueConstraint('tracking_token_sha256', name=op.f('uq_fault_reports_tracking_token_sha256'))
    )
    with op.batch_alter_table('fault_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fault_reports_work_order_id'), ['work_order_id'], unique=False)

    op.create_table('sla_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('started_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('ended_at IS NULL OR ended_at >= started_at', name=op.f('ck_sla_pauses_ordered')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_sla_pauses_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_pauses'))
    )
    with op.batch_alter_table('sla_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_pauses_work_order_id'), ['work_order_id'], unique=False)

    op.create_table('work_order_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('occurred_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('client_time', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_work_order_events_actor_user_id_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_events_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_events'))
    )
    with op.batch_alter_table('work_order_events', schema=None) as batch_op:
        batch_op.create_index('ix_work_order_events_order_time', ['work_order_id', 'id'], unique=False)

    op.create_table('work_order_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_work_order_ratings_score_range')),
    sa.ForeignKeyConstraint(['rated_by_id'], ['users.id'], name=op.f('fk_work_order_ratings_rated_by_id_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_ratings_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_ratings')),
    sa.UniqueConstraint('work_order_id', name=op.f('uq_work_order_ratings_work_order_id'))
    )
    op.create_table('work_order_skills',
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('min_level', sa.Integer(), nullable=False),
    sa.CheckConstraint('min_level BETWEEN 1 AND 5', name=op.f('ck_work_order_skills_level_range')),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_work_order_skills_skill_id_skills')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_skills_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_order_id', 'skill_id', name=op.f('pk_work_order_skills'))
    )
    op.create_table('work_order_time_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('start_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_work_order_time_windows_end_after_start')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_time_windows_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_time_windows'))
    )
    with op.batch_alter_table('work_order_time_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_time_windows_work_order_id'), ['work_order_id'], unique=False)



def downgrade():
    with op.batch_alter_table('work_order_time_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_time_windows_work_order_id'))

    op.drop_table('work_order_time_windows')
    op.drop_table('work_order_skills')
    op.drop_table('work_order_ratings')
    with op.batch_alter_table('work_order_events', schema=None) as batch_op:
        batch_op.drop_index('ix_work_order_events_order_time')

    op.drop_table('work_order_events')
    with op.batch_alter_table('sla_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_pauses_work_order_id'))

    op.drop_table('sla_pauses')
    with op.batch_alter_table('fault_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fault_reports_work_order_id'))

    op.drop_table('fault_reports')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_work_orders_status_resolution_due')
        batch_op.drop_index(batch_op.f('ix_work_orders_site_id'))
        batch_op.drop_index(batch_op.f('ix_work_orders_follow_up_of_id'))
        batch_op.drop_index(batch_op.f('ix_work_orders_customer_id'))
        batch_op.drop_index(batch_op.f('ix_work_orders_assignee_user_id'))
        batch_op.drop_index(batch_op.f('ix_work_orders_asset_id'))

    op.drop_table('work_orders')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_work_order_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))
        batch_op.drop_index('ix_notifications_status_next_attempt')

    op.drop_table('notifications')
    op.drop_table('sla_policies')
    op.drop_table('work_order_number_counters')
    with op.batch_alter_table('rate_limit_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_windows_window_start'))

    op.drop_table('rate_limit_windows')
    op.drop_table('business_calendars')
