"""dispatch: technicians, skills, shifts, exceptions, territories

Revision ID: 0004dispatch
Revises: 0003inventory
Create Date: 2026-11-22 11:27:19.482108
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2  # noqa: F401
import app.db
from geoalchemy2 import Geometry

revision = '0004dispatch'
# Also merges the inventory and work-orders branches.
down_revision = ('0003inventory', '0003workorders')
branch_labels = None
depends_on = None


def upgrade():
    op.create_geospatial_table('territories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('area', Geometry(geometry_type='POLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_territories')),
    sa.UniqueConstraint('name', name=op.f('uq_territories_name'))
    )
    with op.batch_alter_table('territories', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_territories_area', ['area'], unique=False, postgresql_using='gist', postgresql_ops={})

    op.create_geospatial_table('technicians',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('home_base', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('home_address', sa.String(length=300), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=True),
    sa.Column('max_daily_minutes', sa.Integer(), nullable=False),
    sa.Column('cost_per_km', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('cost_per_hour', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('last_position', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('last_position_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_position_accuracy_m', sa.Float(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_daily_minutes BETWEEN 30 AND 1440', name=op.f('ck_technicians_max_minutes_range')),
    sa.ForeignKeyConstraint(['territory_id'], ['territories.id'], name=op.f('fk_technicians_territory_id_territories')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_technicians_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_technicians')),
    sa.UniqueConstraint('user_id', name=op.f('uq_technicians_user_id'))
    )
    with op.batch_alter_table('technicians', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_technicians_home_base', ['home_base'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_geospatial_index('idx_technicians_last_position', ['last_position'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_technicians_territory_id'), ['territory_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_technicians_last_position_geog ON technicians "
                   "USING gist (geography(last_position))")

    op.create_table('shift_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('starts_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('leave', 'sickness', 'training', 'overtime')", name=op.f('ck_shift_exceptions_kind_known')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_shift_exceptions_ends_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_shift_exceptions_created_by_id_users')),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_shift_exceptions_technician_id_technicians'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_exceptions'))
    )
    with op.batch_alter_table('shift_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_exceptions_technician_id'), ['technician_id'], unique=False)

    op.create_table('technician_skills',
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_technician_skills_level_range')),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_technician_skills_skill_id_skills')),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_technician_skills_technician_id_technicians'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('technician_id', 'skill_id', name=op.f('pk_technician_skills'))
    )
    op.create_table('weekly_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.Column('break_earliest', sa.Time(), nullable=True),
    sa.Column('break_latest', sa.Time(), nullable=True),
    sa.Column('break_minutes', sa.Integer(), nullable=False),
    sa.CheckConstraint('break_minutes >= 0 AND break_minutes <= 180', name=op.f('ck_weekly_shifts_break_range')),
    sa.CheckConstraint('ends > starts', name=op.f('ck_weekly_shifts_ends_after_start')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_weekly_shifts_weekday_range')),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_weekly_shifts_technician_id_technicians'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_shifts')),
    sa.UniqueConstraint('technician_id', 'weekday', name='uq_weekly_shifts_day')
    )


def downgrade():
    op.drop_table('weekly_shifts')
    op.drop_table('technician_skills')
    with op.batch_alter_table('shift_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_exceptions_technician_id'))

    op.drop_table('shift_exceptions')
    with op.batch_alter_table('technicians', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_technicians_territory_id'))
        batch_op.drop_geospatial_index('idx_technicians_last_position', postgresql_using='gist', column_name='last_position')
        batch_op.drop_geospatial_index('idx_technicians_home_base', postgresql_using='gist', column_name='home_base')

    op.drop_geospatial_table('technicians')
    with op.batch_alter_table('territories', schema=None) as batch_op:
        batch_op.drop_geospatial_index('idx_territories_area', postgresql_using='gist', column_name='area')

    op.drop_geospatial_table('territories')
