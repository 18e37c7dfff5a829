"""notifications: claimed deliveries, inbox read state, email channel; tracking link revocation

Revision ID: 0102loopb
Revises: 0006integrate
Create Date: 2026-11-30 00:40:00
"""
from alembic import op
import sqlalchemy as sa
import app.db

revision = '0102loopb'
down_revision = '0006integrate'
branch_labels = None
depends_on = None


def _utc():
    return app.db.UTCDateTime(timezone=True)


def upgrade():
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=10), nullable=False,
                                      server_default='sent'))
        batch_op.add_column(sa.Column('claimed_at', _utc(), nullable=True))
        batch_op.alter_column('sent_at', existing_type=_utc(), nullable=True)
        batch_op.create_check_constraint(
            op.f('ck_notification_deliveries_state_known'), "state IN ('claimed', 'sent', 'in_doubt')")
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.alter_column('state', server_default=None)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_at', _utc(), nullable=True))
        batch_op.add_column(sa.Column('channels', sa.JSON(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('email_status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('email_to', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('email_attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('email_next_attempt_at', _utc(), nullable=True))
        batch_op.add_column(sa.Column('email_claimed_at', _utc(), nullable=True))
        batch_op.add_column(sa.Column('email_sent_at', _utc(), nullable=True))
        batch_op.add_column(sa.Column('email_error', sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f('ck_notifications_status_known'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_notifications_status_known'), "status IN ('pending', 'sent', 'failed', 'dropped', 'inbox')")
        batch_op.create_check_constraint(
            op.f('ck_notifications_email_status_known'), "email_status IS NULL OR email_status IN "
            "('pending', 'claimed', 'sent', 'failed', 'in_doubt')")
        batch_op.create_index(op.f('ix_notifications_email_status_next'),
                              ['email_status', 'email_next_attempt_at'], unique=False)
        batch_op.create_index(op.f('ix_notifications_user_read'), ['user_id', 'read_at'],
                              unique=False)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('channels', server_default=None)
        batch_op.alter_column('email_attempts', server_default=None)

    with op.batch_alter_table('fault_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracking_revoked_at', _utc(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
    with op.batch_alter_table('fault_reports', schema=None) as batch_op:
        batch_op.drop_column('tracking_revoked_at')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(op.f('ix_notifications_user_read'))
        batch_op.drop_index(op.f('ix_notifications_email_status_next'))
        batch_op.drop_constraint(op.f('ck_notifications_email_status_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_notifications_status_known'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_notifications_status_known'), "status IN ('pending', 'sent', 'failed', 'dropped')")
        for column in ('email_error', 'email_sent_at', 'email_claimed_at',
                       'email_next_attempt_at', 'email_attempts', 'email_to', 'email_status',
                       'channels', 'read_at'):
            batch_op.drop_column(column)
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_deliveries_state_known'), type_='check')
        batch_op.alter_column('sent_at', existing_type=_utc(), nullable=False)
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('state')
