"""assets: sites, skills, equipment models, assets, history, meters

Revision ID: 0002assets
Revises: 3e8843d2bcce
Create Date: 2026-11-22 11:15:06.999641
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2  # noqa: F401
import app.db
from geoalchemy2 import Geometry

revision = '0002assets'
down_revision = '3e8843d2bcce'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('equipment_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manufacturer', sa.String(length=120), nullable=False),
    sa.Column('model', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('default_duration_min', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_models')),
    sa.UniqueConstraint('manufacturer', 'model', name='uq_equipment_models_make')
    )
    with op.batch_alter_table('equipment_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equipment_models_category'), ['category'], unique=False)

    op.create_table('skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skills')),
    sa.UniqueConstraint('code', name=op.f('uq_skills_code'))
    )
    op.create_table('equipment_model_skills',
    sa.Column('equipment_model_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('min_level', sa.Integer(), nullable=False),
    sa.CheckConstraint('min_level BETWEEN 1 AND 5', name=op.f('ck_equipment_model_skills_level_range')),
    sa.ForeignKeyConstraint(['equipment_model_id'], ['equipment_models.id'], name=op.f('fk_equipment_model_skills_equipment_model_id_equipment_models'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_equipment_model_skills_skill_id_skills')),
    sa.PrimaryKeyConstraint('equipment_model_id', 'skill_id', name=op.f('pk_equipment_model_skills'))
    )
    op.create_geospatial_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address_line', sa.String(length=300), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('opening_hours', sa.JSON(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('access_notes', sa.Text(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_sites_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_sites_location', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_sites_customer_id'), ['customer_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Radius search in metres uses geography; this index serves ST_DWithin (see app.geo).
        op.execute("CREATE INDEX ix_sites_location_geog ON sites USING gist (geography(location))")

    op.create_table('assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.Column('serial_number', sa.String(length=80), nullable=True),
    sa.Column('equipment_model_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('location_note', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('criticality', sa.Integer(), nullable=False),
    sa.Column('install_date', sa.Date(), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('operational', 'degraded', 'down', 'retired')", name=op.f('ck_assets_status_known')),
    sa.CheckConstraint('criticality BETWEEN 1 AND 5', name=op.f('ck_assets_criticality_range')),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_assets_not_own_parent')),
    sa.ForeignKeyConstraint(['equipment_model_id'], ['equipment_models.id'], name=op.f('fk_assets_equipment_model_id_equipment_models')),
    sa.ForeignKeyConstraint(['parent_id'], ['assets.id'], name=op.f('fk_assets_parent_id_assets')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_assets_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('tag', name=op.f('uq_assets_tag'))
    )
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assets_equipment_model_id'), ['equipment_model_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_site_id'), ['site_id'], unique=False)
        batch_op.create_index('ix_assets_site_status', ['site_id', 'status'], unique=False)

    op.create_table('asset_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_status_changes_asset_id_assets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_asset_status_changes_changed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_status_changes'))
    )
    with op.batch_alter_table('asset_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_status_changes_asset_id'), ['asset_id'], unique=False)

    op.create_table('meter_readings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('meter', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=True),
    sa.Column('value', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('read_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('is_replacement', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('value >= 0', name=op.f('ck_meter_readings_value_not_negative')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_meter_readings_asset_id_assets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_meter_readings_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meter_readings'))
    )
    with op.batch_alter_table('meter_readings', schema=None) as batch_op:
        batch_op.create_index('ix_meter_readings_asset_meter_time', ['asset_id', 'meter', 'read_at'], unique=False)



def downgrade():
    with op.batch_alter_table('meter_readings', schema=None) as batch_op:
        batch_op.drop_index('ix_meter_readings_asset_meter_time')

    op.drop_table('meter_readings')
    with op.batch_alter_table('asset_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_status_changes_asset_id'))

    op.drop_table('asset_status_changes')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_index('ix_assets_site_status')
        batch_op.drop_index(batch_op.f('ix_assets_site_id'))
        batch_op.drop_index(batch_op.f('ix_assets_parent_id'))
        batch_op.drop_index(batch_op.f('ix_assets_equipment_model_id'))

    op.drop_table('assets')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_customer_id'))
        batch_op.drop_geospatial_index('idx_sites_location', postgresql_using='gist', column_name='location')

    op.drop_geospatial_table('sites')
    op.drop_table('equipment_model_skills')
    op.drop_table('skills')
    with op.batch_alter_table('equipment_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equipment_models_category'))

    op.drop_table('equipment_models')
