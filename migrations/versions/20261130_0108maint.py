"""maintenance: plans, occurrences, checklists, inspections, failure taxonomy, knowledge

Revision ID: 0108maint
Revises: 0006integrate
Create Date: 2026-11-30 00:26:24.190957
"""
from alembic import op
import sqlalchemy as sa
import app.db


revision = '0108maint'
down_revision = '0006integrate'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checklist_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('equipment_model_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_checklist_templates_version_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_checklist_templates_created_by_id_users')),
    sa.ForeignKeyConstraint(['equipment_model_id'], ['equipment_models.id'], name=op.f('fk_checklist_templates_equipment_model_id_equipment_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_templates')),
    sa.UniqueConstraint('code', 'version', name='uq_checklist_templates_code_version')
    )
    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_templates_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_templates_equipment_model_id'), ['equipment_model_id'], unique=False)

    op.create_table('checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=True),
    sa.Column('min_value', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('max_value', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('failing_choices', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('pass_fail', 'number', 'text', 'choice', 'photo', 'signature')", name=op.f('ck_checklist_items_kind_known')),
    sa.CheckConstraint("severity IN ('low', 'medium', 'high', 'critical')", name=op.f('ck_checklist_items_severity_known')),
    sa.CheckConstraint('min_value IS NULL OR max_value IS NULL OR min_value <= max_value', name=op.f('ck_checklist_items_limits_ordered')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_checklist_items_template_id_checklist_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_items')),
    sa.UniqueConstraint('template_id', 'position', name='uq_checklist_items_position')
    )
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_items_template_id'), ['template_id'], unique=False)

    op.create_table('maintenance_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('equipment_model_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('checklist_template_id', sa.Integer(), nullable=True),
    sa.Column('requires_signature', sa.Boolean(), nullable=False),
    sa.Column('required_skills', sa.JSON(), nullable=False),
    sa.Column('estimated_duration_min', sa.Integer(), nullable=False),
    sa.Column('priority', sa.String(length=2), nullable=False),
    sa.Column('parts', sa.JSON(), nullable=False),
    sa.Column('parts_location_id', sa.Integer(), nullable=True),
    sa.Column('schedule_kind', sa.String(length=10), nullable=False),
    sa.Column('anchor', sa.String(length=10), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('interval_unit', sa.String(length=10), nullable=True),
    sa.Column('interval_count', sa.Integer(), nullable=True),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('day_of_month', sa.Integer(), nullable=True),
    sa.Column('calendar_id', sa.Integer(), nullable=True),
    sa.Column('shift', sa.String(length=10), nullable=False),
    sa.Column('meter', sa.String(length=40), nullable=True),
    sa.Column('meter_interval', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('window_before_days', sa.Integer(), nullable=False),
    sa.Column('window_after_days', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(schedule_kind = 'calendar') OR (meter IS NOT NULL AND meter_interval > 0)", name=op.f('ck_maintenance_plans_meter_complete')),
    sa.CheckConstraint("(schedule_kind = 'meter') OR (interval_unit IS NOT NULL AND interval_count >= 1)", name=op.f('ck_maintenance_plans_calendar_complete')),
    sa.CheckConstraint("anchor IN ('fixed', 'floating')", name=op.f('ck_maintenance_plans_anchor_known')),
    sa.CheckConstraint("interval_unit IS NULL OR interval_unit IN ('day', 'week', 'month')", name=op.f('ck_maintenance_plans_interval_unit_known')),
    sa.CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4')", name=op.f('ck_maintenance_plans_priority_known')),
    sa.CheckConstraint("schedule_kind IN ('calendar', 'meter', 'both')", name=op.f('ck_maintenance_plans_schedule_known')),
    sa.CheckConstraint("shift IN ('none', 'previous', 'next')", name=op.f('ck_maintenance_plans_shift_known')),
    sa.CheckConstraint('(CASE WHEN asset_id IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN equipment_model_id IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN customer_id IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN site_id IS NOT NULL THEN 1 ELSE 0 END) = 1', name=op.f('ck_maintenance_plans_one_target')),
    sa.CheckConstraint('day_of_month IS NULL OR day_of_month BETWEEN 1 AND 31', name=op.f('ck_maintenance_plans_day_of_month_range')),
    sa.CheckConstraint('estimated_duration_min > 0', name=op.f('ck_maintenance_plans_duration_positive')),
    sa.CheckConstraint('horizon_days BETWEEN 1 AND 366', name=op.f('ck_maintenance_plans_horizon_range')),
    sa.CheckConstraint('window_before_days >= 0 AND window_after_days >= 0', name=op.f('ck_maintenance_plans_window_not_negative')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_maintenance_plans_asset_id_assets')),
    sa.ForeignKeyConstraint(['calendar_id'], ['business_calendars.id'], name=op.f('fk_maintenance_plans_calendar_id_business_calendars')),
    sa.ForeignKeyConstraint(['checklist_template_id'], ['checklist_templates.id'], name=op.f('fk_maintenance_plans_checklist_template_id_checklist_templates')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_maintenance_plans_created_by_id_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_maintenance_plans_customer_id_customers')),
    sa.ForeignKeyConstraint(['equipment_model_id'], ['equipment_models.id'], name=op.f('fk_maintenance_plans_equipment_model_id_equipment_models')),
    sa.ForeignKeyConstraint(['parts_location_id'], ['stock_locations.id'], name=op.f('fk_maintenance_plans_parts_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_maintenance_plans_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_plans'))
    )
    with op.batch_alter_table('maintenance_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maintenance_plans_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_maintenance_plans_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_maintenance_plans_equipment_model_id'), ['equipment_model_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_maintenance_plans_site_id'), ['site_id'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('requires_signature', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_inspections_template_id_checklist_templates')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_inspections_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('work_order_id', name=op.f('uq_inspections_work_order_id'))
    )
    op.create_table('plan_occurrences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_key', sa.String(length=40), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('window_start', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_end', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('trigger', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('parts_reserved', sa.Boolean(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('skip_reason', sa.Text(), nullable=True),
    sa.Column('skipped_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('generated', 'skipped')", name=op.f('ck_plan_occurrences_status_known')),
    sa.CheckConstraint("trigger IN ('calendar', 'meter', 'forecast')", name=op.f('ck_plan_occurrences_trigger_known')),
    sa.CheckConstraint('window_end > window_start', name=op.f('ck_plan_occurrences_window_ordered')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_plan_occurrences_asset_id_assets')),
    sa.ForeignKeyConstraint(['plan_id'], ['maintenance_plans.id'], name=op.f('fk_plan_occurrences_plan_id_maintenance_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skipped_by_id'], ['users.id'], name=op.f('fk_plan_occurrences_skipped_by_id_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_plan_occurrences_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_occurrences')),
    sa.UniqueConstraint('plan_id', 'asset_id', 'occurrence_key', name='uq_plan_occurrences_key'),
    sa.UniqueConstraint('work_order_id', name=op.f('uq_plan_occurrences_work_order_id'))
    )
    with op.batch_alter_table('plan_occurrences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_occurrences_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index('ix_plan_occurrences_due', ['due_date'], unique=False)

    op.create_table('inspection_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('number', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('choice', sa.String(length=100), nullable=True),
    sa.Column('photo_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('corrective_work_order_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('client_time', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("outcome IN ('ok', 'failed', 'out_of_limits')", name=op.f('ck_inspection_results_outcome_known')),
    sa.ForeignKeyConstraint(['corrective_work_order_id'], ['work_orders.id'], name=op.f('fk_inspection_results_corrective_work_order_id_work_orders')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_results_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_items.id'], name=op.f('fk_inspection_results_item_id_checklist_items')),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_inspection_results_photo_id_photos')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_inspection_results_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_results')),
    sa.UniqueConstraint('corrective_work_order_id', name=op.f('uq_inspection_results_corrective_work_order_id')),
    sa.UniqueConstraint('inspection_id', 'item_id', name='uq_inspection_results_item')
    )
    with op.batch_alter_table('inspection_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_results_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('failure_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('equipment_model_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'problem') = (parent_id IS NULL)", name=op.f('ck_failure_codes_parent_iff_not_problem')),
    sa.CheckConstraint("kind IN ('problem', 'cause', 'remedy')", name=op.f('ck_failure_codes_kind_known')),
    sa.ForeignKeyConstraint(['equipment_model_id'], ['equipment_models.id'], name=op.f('fk_failure_codes_equipment_model_id_equipment_models')),
    sa.ForeignKeyConstraint(['parent_id'], ['failure_codes.id'], name=op.f('fk_failure_codes_parent_id_failure_codes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failure_codes')),
    sa.UniqueConstraint('equipment_model_id', 'kind', 'code', name='uq_failure_codes_code')
    )
    with op.batch_alter_table('failure_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failure_codes_equipment_model_id'), ['equipment_model_id'], unique=False)

    op.create_table('knowledge_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('images', sa.JSON(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_knowledge_articles_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_articles'))
    )
    op.create_table('article_codes',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_articles.id'], name=op.f('fk_article_codes_article_id_knowledge_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'code', name=op.f('pk_article_codes'))
    )
    with op.batch_alter_table('article_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_codes_code'), ['code'], unique=False)

    op.create_table('article_models',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('equipment_model_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_articles.id'], name=op.f('fk_article_models_article_id_knowledge_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['equipment_model_id'], ['equipment_models.id'], name=op.f('fk_article_models_equipment_model_id_equipment_models')),
    sa.PrimaryKeyConstraint('article_id', 'equipment_model_id', name=op.f('pk_article_models'))
    )
    with op.batch_alter_table('article_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_models_equipment_model_id'), ['equipment_model_id'], unique=False)

    op.create_table('article_ratings',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('useful', sa.Boolean(), nullable=False),
    sa.Column('rated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_articles.id'], name=op.f('fk_article_ratings_article_id_knowledge_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_article_ratings_user_id_users')),
    sa.PrimaryKeyConstraint('article_id', 'user_id', name=op.f('pk_article_ratings'))
    )
    op.create_table('article_solutions',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_articles.id'], name=op.f('fk_article_solutions_article_id_knowledge_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_article_solutions_user_id_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_article_solutions_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'work_order_id', name=op.f('pk_article_solutions'))
    )
    with op.batch_alter_table('article_solutions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_solutions_work_order_id'), ['work_order_id'], unique=False)


def downgrade():
    with op.batch_alter_table('article_solutions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_solutions_work_order_id'))

    op.drop_table('article_solutions')
    op.drop_table('article_ratings')
    with op.batch_alter_table('article_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_models_equipment_model_id'))

    op.drop_table('article_models')
    with op.batch_alter_table('article_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_codes_code'))

    op.drop_table('article_codes')
    op.drop_table('knowledge_articles')
    with op.batch_alter_table('failure_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failure_codes_equipment_model_id'))

    op.drop_table('failure_codes')

    with op.batch_alter_table('inspection_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_results_inspection_id'))

    op.drop_table('inspection_results')
    with op.batch_alter_table('plan_occurrences', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_occurrences_due')
        batch_op.drop_index(batch_op.f('ix_plan_occurrences_asset_id'))

    op.drop_table('plan_occurrences')
    op.drop_table('inspections')
    with op.batch_alter_table('maintenance_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maintenance_plans_site_id'))
        batch_op.drop_index(batch_op.f('ix_maintenance_plans_equipment_model_id'))
        batch_op.drop_index(batch_op.f('ix_maintenance_plans_customer_id'))
        batch_op.drop_index(batch_op.f('ix_maintenance_plans_asset_id'))

    op.drop_table('maintenance_plans')
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_items_template_id'))

    op.drop_table('checklist_items')
    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_templates_equipment_model_id'))
        batch_op.drop_index(batch_op.f('ix_checklist_templates_code'))

    op.drop_table('checklist_templates')
