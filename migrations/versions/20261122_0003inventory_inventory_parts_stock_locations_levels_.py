"""inventory: parts, stock locations, levels, ledger, reservations

Revision ID: 0003inventory
Revises: 0002assets
Create Date: 2026-11-22 11:19:40.675113
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2  # noqa: F401
import app.db
from geoalchemy2 import Geometry

revision = '0003inventory'
down_revision = '0002assets'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('reorder_point', sa.Integer(), nullable=False),
    sa.Column('reorder_quantity', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('reorder_point >= 0', name=op.f('ck_parts_reorder_point_not_negative')),
    sa.CheckConstraint('reorder_quantity >= 0', name=op.f('ck_parts_reorder_quantity_not_negative')),
    sa.CheckConstraint('unit_cost >= 0', name=op.f('ck_parts_unit_cost_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parts')),
    sa.UniqueConstraint('sku', name=op.f('uq_parts_sku'))
    )
    op.create_table('part_equipment_models',
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('equipment_model_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['equipment_model_id'], ['equipment_models.id'], name=op.f('fk_part_equipment_models_equipment_model_id_equipment_models'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_part_equipment_models_part_id_parts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('part_id', 'equipment_model_id', name=op.f('pk_part_equipment_models'))
    )
    with op.batch_alter_table('part_equipment_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_part_equipment_models_equipment_model_id'), ['equipment_model_id'], unique=False)

    op.create_geospatial_table('stock_locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('address_line', sa.String(length=300), nullable=True),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind = 'van' OR location IS NOT NULL", name=op.f('ck_stock_locations_warehouse_has_point')),
    sa.CheckConstraint("kind = 'van' OR owner_user_id IS NULL", name=op.f('ck_stock_locations_only_vans_have_owners')),
    sa.CheckConstraint("kind IN ('warehouse', 'van')", name=op.f('ck_stock_locations_kind_known')),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_stock_locations_owner_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_locations')),
    sa.UniqueConstraint('code', name=op.f('uq_stock_locations_code')),
    sa.UniqueConstraint('owner_user_id', name=op.f('uq_stock_locations_owner_user_id'))
    )
    with op.batch_alter_table('stock_locations', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_stock_locations_location', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    if op.get_bind().dialect.name == "postgresql":
        # Distance in metres uses geography; this index serves ST_DWithin (see app.geo).
        op.execute("CREATE INDEX ix_stock_locations_location_geog ON stock_locations "
                   "USING gist (geography(location))")

    op.create_table('reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('open_quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('release_reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'active') = (open_quantity > 0)", name=op.f('ck_reservations_active_iff_open')),
    sa.CheckConstraint("status IN ('active', 'fulfilled', 'released')", name=op.f('ck_reservations_status_known')),
    sa.CheckConstraint('open_quantity >= 0 AND open_quantity <= quantity', name=op.f('ck_reservations_open_quantity_range')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_reservations_quantity_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reservations_created_by_id_users')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'], name=op.f('fk_reservations_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_reservations_part_id_parts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index('ix_reservations_part_location_status', ['part_id', 'location_id', 'status'], unique=False)
        batch_op.create_index('ix_reservations_work_order_status', ['work_order_id', 'status'], unique=False)

    op.create_table('stock_levels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_stock_levels_on_hand_not_negative')),
    sa.CheckConstraint('reserved <= on_hand', name=op.f('ck_stock_levels_reserved_within_on_hand')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_stock_levels_reserved_not_negative')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'], name=op.f('fk_stock_levels_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_stock_levels_part_id_parts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_levels')),
    sa.UniqueConstraint('part_id', 'location_id', name='uq_stock_levels_part_location')
    )
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_levels_location_id'), ['location_id'], unique=False)

    op.create_table('stock_movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('from_location_id', sa.Integer(), nullable=True),
    sa.Column('to_location_id', sa.Integer(), nullable=True),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('unit_cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'adjustment' OR reason IS NOT NULL", name=op.f('ck_stock_movements_reason_for_adjustment')),
    sa.CheckConstraint("kind IN ('receipt', 'transfer', 'issue', 'return', 'adjustment')", name=op.f('ck_stock_movements_kind_known')),
    sa.CheckConstraint("kind NOT IN ('issue', 'return') OR work_order_id IS NOT NULL", name=op.f('ck_stock_movements_work_order_for_issue_and_return')),
    sa.CheckConstraint('from_location_id IS NOT NULL OR to_location_id IS NOT NULL', name=op.f('ck_stock_movements_touches_a_location')),
    sa.CheckConstraint('from_location_id IS NULL OR to_location_id IS NULL OR from_location_id <> to_location_id', name=op.f('ck_stock_movements_not_to_itself')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_stock_movements_quantity_positive')),
    sa.CheckConstraint('unit_cost >= 0', name=op.f('ck_stock_movements_unit_cost_not_negative')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_stock_movements_actor_id_users')),
    sa.ForeignKeyConstraint(['from_location_id'], ['stock_locations.id'], name=op.f('fk_stock_movements_from_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_stock_movements_part_id_parts')),
    sa.ForeignKeyConstraint(['to_location_id'], ['stock_locations.id'], name=op.f('fk_stock_movements_to_location_id_stock_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_movements_from_location_id'), ['from_location_id'], unique=False)
        batch_op.create_index('ix_stock_movements_part_id_id', ['part_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_to_location_id'), ['to_location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_work_order_id'), ['work_order_id'], unique=False)



def downgrade():
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movements_work_order_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_to_location_id'))
        batch_op.drop_index('ix_stock_movements_part_id_id')
        batch_op.drop_index(batch_op.f('ix_stock_movements_from_location_id'))

    op.drop_table('stock_movements')
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_levels_location_id'))

    op.drop_table('stock_levels')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_work_order_status')
        batch_op.drop_index('ix_reservations_part_location_status')

    op.drop_table('reservations')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_stock_locations_location_geog")
    with op.batch_alter_table('stock_locations', schema=None) as batch_op:
        batch_op.drop_geospatial_index('idx_stock_locations_location', postgresql_using='gist', column_name='location')

    op.drop_geospatial_table('stock_locations')
    with op.batch_alter_table('part_equipment_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_part_equipment_models_equipment_model_id'))

    op.drop_table('part_equipment_models')
    op.drop_table('parts')
