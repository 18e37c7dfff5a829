"""mobile: site visits, photos, idempotency, push devices and attempts

Revision ID: 0005mobile
Revises: 0004dispatch
Create Date: 2026-11-22 11:33:49.159974
"""
from alembic import op
import sqlalchemy as sa
import app.db
from geoalchemy2 import Geometry

revision = '0005mobile'
down_revision = '0004dispatch'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idempotency_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response_body', sa.JSON(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_records_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_records')),
    sa.UniqueConstraint('user_id', 'key', name='uq_idempotency_records_user_key')
    )
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_records_created_at'), ['created_at'], unique=False)

    op.create_table('push_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=512), nullable=False),
    sa.Column('platform', sa.String(length=10), nullable=False),
    sa.Column('app_version', sa.String(length=40), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_reason', sa.String(length=60), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("platform IN ('android', 'ios', 'web')", name=op.f('ck_push_devices_platform_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_devices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_devices')),
    sa.UniqueConstraint('token', name=op.f('uq_push_devices_token'))
    )
    with op.batch_alter_table('push_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_devices_user_id'), ['user_id'], unique=False)

    op.create_table('notification_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('attempted_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('error_code', sa.String(length=60), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('message_id', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['push_devices.id'], name=op.f('fk_notification_attempts_device_id_push_devices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_notification_attempts_notification_id_notifications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_attempts'))
    )
    with op.batch_alter_table('notification_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_attempts_notification_id'), ['notification_id'], unique=False)

    op.create_table('notification_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=300), nullable=True),
    sa.Column('sent_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['push_devices.id'], name=op.f('fk_notification_deliveries_device_id_push_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_notification_deliveries_notification_id_notifications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries')),
    sa.UniqueConstraint('notification_id', 'device_id', name='uq_notification_deliveries_notification_device')
    )
    op.create_table('photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('caption', sa.String(length=500), nullable=True),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('original_key', sa.String(length=300), nullable=False),
    sa.Column('public_key', sa.String(length=300), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=300), nullable=False),
    sa.Column('taken_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('gps_lat', sa.Float(), nullable=True),
    sa.Column('gps_lng', sa.Float(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('before', 'after', 'signature')", name=op.f('ck_photos_kind_known')),
    sa.CheckConstraint('size_bytes > 0 AND width > 0 AND height > 0', name=op.f('ck_photos_dimensions_positive')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_photos_uploaded_by_id_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_photos_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos')),
    sa.UniqueConstraint('work_order_id', 'sha256', name='uq_photos_work_order_sha256')
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photos_work_order_id'), ['work_order_id'], unique=False)

    op.create_geospatial_table('site_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('technician_user_id', sa.Integer(), nullable=False),
    sa.Column('check_in_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('check_in_client_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('check_in_position', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('check_in_accuracy_m', sa.Float(), nullable=False),
    sa.Column('check_in_distance_m', sa.Float(), nullable=False),
    sa.Column('check_in_inside_geofence', sa.Boolean(), nullable=False),
    sa.Column('check_in_override_reason', sa.Text(), nullable=True),
    sa.Column('check_out_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('check_out_client_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('check_out_position', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('check_out_accuracy_m', sa.Float(), nullable=True),
    sa.Column('check_out_distance_m', sa.Float(), nullable=True),
    sa.Column('check_out_inside_geofence', sa.Boolean(), nullable=True),
    sa.Column('check_out_override_reason', sa.Text(), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.CheckConstraint('check_in_accuracy_m >= 0', name=op.f('ck_site_visits_accuracy_not_negative')),
    sa.CheckConstraint('check_out_at IS NULL OR check_out_at >= check_in_at', name=op.f('ck_site_visits_check_out_after_check_in')),
    sa.ForeignKeyConstraint(['technician_user_id'], ['users.id'], name=op.f('fk_site_visits_technician_user_id_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_site_visits_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_visits'))
    )
    with op.batch_alter_table('site_visits', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_site_visits_check_in_position', ['check_in_position'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_geospatial_index('idx_site_visits_check_out_position', ['check_out_position'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_site_visits_technician_user_id'), ['technician_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_visits_work_order_id'), ['work_order_id'], unique=False)



def downgrade():
    with op.batch_alter_table('site_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_visits_work_order_id'))
        batch_op.drop_index(batch_op.f('ix_site_visits_technician_user_id'))
        batch_op.drop_geospatial_index('idx_site_visits_check_out_position', postgresql_using='gist', column_name='check_out_position')
        batch_op.drop_geospatial_index('idx_site_visits_check_in_position', postgresql_using='gist', column_name='check_in_position')

    op.drop_geospatial_table('site_visits')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photos_work_order_id'))

    op.drop_table('photos')
    op.drop_table('notification_deliveries')
    with op.batch_alter_table('notification_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_attempts_notification_id'))

    op.drop_table('notification_attempts')
    with op.batch_alter_table('push_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_devices_user_id'))

    op.drop_table('push_devices')
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_records_created_at'))

    op.drop_table('idempotency_records')
