"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 23:42:52.521334
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('facilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('country', sa.String(length=3), nullable=False),
    sa.Column('admin_area', sa.String(length=200), nullable=True),
    sa.Column('locality', sa.String(length=200), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('type', sa.Enum('immigration_detention_centre', 'prison', 'police_station', 'transit_zone', 'border_post', 'closed_reception_centre', 'children_shelter', 'other', name='facility_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('operator_kind', sa.Enum('public', 'private', 'unknown', name='operator_kind', native_enum=False, create_constraint=True, length=11), nullable=False),
    sa.Column('operator_name', sa.String(length=300), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('in_use', 'closed', 'unknown', name='facility_status', native_enum=False, create_constraint=True, length=11), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(latitude IS NULL) = (longitude IS NULL)', name=op.f('ck_facilities_coordinates_together')),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 0', name=op.f('ck_facilities_capacity_not_negative')),
    sa.CheckConstraint('latitude IS NULL OR (latitude >= -90 AND latitude <= 90)', name=op.f('ck_facilities_latitude_range')),
    sa.CheckConstraint('length(country) = 3 AND upper(country) = country', name=op.f('ck_facilities_country_iso3')),
    sa.CheckConstraint('longitude IS NULL OR (longitude >= -180 AND longitude <= 180)', name=op.f('ck_facilities_longitude_range')),
    sa.CheckConstraint('merged_into_id IS NULL OR merged_into_id <> id', name=op.f('ck_facilities_not_merged_into_self')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['facilities.id'], name=op.f('fk_facilities_merged_into_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilities')),
    sa.UniqueConstraint('public_id', name=op.f('uq_facilities_public_id'))
    )
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.create_index('ix_facilities_country_type', ['country', 'type'], unique=False)
        batch_op.create_index(batch_op.f('ix_facilities_merged_into_id'), ['merged_into_id'], unique=False)

    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('name', name=op.f('uq_organisations_name'))
    )
    op.create_table('facility_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.CheckConstraint("kind IN ('alias', 'former', 'translation')", name=op.f('ck_facility_aliases_alias_kind')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_facility_aliases_facility_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_aliases')),
    sa.UniqueConstraint('facility_id', 'name', name=op.f('uq_facility_aliases_facility_id_name'))
    )
    op.create_table('facility_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('retrieved_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_facility_sources_facility_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_sources')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_facility_sources_source_external_id'))
    )
    with op.batch_alter_table('facility_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_sources_facility_id'), ['facility_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'coordinator', 'monitor', 'viewer', name='role', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_users_email_lower_case')),
    sa.CheckConstraint('failed_logins >= 0', name=op.f('ck_users_failed_logins_not_negative')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_audit_events_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('announced', sa.Boolean(), nullable=False),
    sa.Column('scope', sa.Enum('full', 'thematic', 'follow_up', name='visit_scope', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('sections', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('checklist_id', sa.String(length=64), nullable=False),
    sa.Column('checklist_version', sa.Integer(), nullable=False),
    sa.Column('checklist_digest', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Enum('draft', 'submitted', 'returned', 'reviewed', 'published', name='visit_state', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('previous_visit_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('notes_secret', sa.LargeBinary(), nullable=True),
    sa.Column('source_instance_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state <> 'published' OR published_at IS NOT NULL", name=op.f('ck_visits_published_has_time')),
    sa.CheckConstraint("state IN ('draft', 'returned') OR submitted_at IS NOT NULL", name=op.f('ck_visits_submitted_has_time')),
    sa.CheckConstraint('checklist_version > 0', name=op.f('ck_visits_checklist_version_positive')),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_visits_ends_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_visits_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_visits_facility_id_facilities')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_visits_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['previous_visit_id'], ['visits.id'], name=op.f('fk_visits_previous_visit_id_visits'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_visits_published_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_visits_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_visits_submitted_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('source_instance_id', name=op.f('uq_visits_source_instance_id'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_facility_start', ['facility_id', 'start_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_visits_state_published', ['state', 'published_at'], unique=False)

    op.create_table('answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('secret', sa.LargeBinary(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('value IS NULL OR secret IS NULL', name=op.f('ck_answers_plain_or_secret')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_answers_updated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_answers_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answers')),
    sa.UniqueConstraint('visit_id', 'question_id', name=op.f('uq_answers_visit_id_question_id'))
    )
    op.create_table('area_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('assessed_share', sa.Float(), nullable=False),
    sa.Column('standards_assessed', sa.Integer(), nullable=False),
    sa.Column('standards_total', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_rule', sa.JSON(), nullable=False),
    sa.CheckConstraint('assessed_share >= 0 AND assessed_share <= 1', name=op.f('ck_area_scores_assessed_share_range')),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 4)', name=op.f('ck_area_scores_rating_scale')),
    sa.CheckConstraint('score IS NULL OR (score >= 0 AND score <= 1)', name=op.f('ck_area_scores_score_share')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_area_scores_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_scores')),
    sa.UniqueConstraint('visit_id', 'area_id', name=op.f('uq_area_scores_visit_id_area_id'))
    )
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.String(length=64), nullable=False),
    sa.Column('area_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.Enum('compliant', 'partially_compliant', 'non_compliant', 'not_assessed', name='finding_status', native_enum=False, create_constraint=True, length=23), nullable=False),
    sa.Column('severity', sa.Enum('low', 'medium', 'high', 'critical', name='severity', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_findings_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings')),
    sa.UniqueConstraint('visit_id', 'standard_id', name=op.f('uq_findings_visit_id_standard_id'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_standard_status', ['standard_id', 'status'], unique=False)

    op.create_table('interviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('individual', 'group', 'staff', 'management', 'external', name='interview_kind', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.Column('language', sa.String(length=64), nullable=True),
    sa.Column('interpreter', sa.Boolean(), nullable=False),
    sa.Column('consent_interview', sa.Boolean(), nullable=False),
    sa.Column('consent_quote', sa.Boolean(), nullable=False),
    sa.Column('consent_referral', sa.Boolean(), nullable=False),
    sa.Column('consent_photo', sa.Boolean(), nullable=False),
    sa.Column('notes_secret', sa.LargeBinary(), nullable=True),
    sa.Column('follow_up', sa.Boolean(), nullable=False),
    sa.Column('urgency', sa.Enum('none', 'low', 'medium', 'high', 'urgent', name='urgency', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("NOT follow_up OR urgency <> 'none'", name=op.f('ck_interviews_follow_up_has_urgency')),
    sa.CheckConstraint('notes_secret IS NULL OR consent_interview', name=op.f('ck_interviews_notes_need_consent')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_interviews_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_interviews_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interviews')),
    sa.UniqueConstraint('visit_id', 'code', name=op.f('uq_interviews_visit_id_code'))
    )
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interviews_visit_id'), ['visit_id'], unique=False)

    op.create_table('recommendations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('standards', sa.JSON(), nullable=False),
    sa.Column('area_id', sa.String(length=64), nullable=True),
    sa.Column('addressee', sa.String(length=300), nullable=True),
    sa.Column('priority', sa.Enum('low', 'medium', 'high', 'urgent', name='priority', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('suggested', 'not_implemented', 'in_progress', 'partially_implemented', 'implemented', 'rejected', 'no_longer_applicable', name='recommendation_status', native_enum=False, create_constraint=True, length=25), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_recommendations_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_recommendations_facility_id_facilities')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_recommendations_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendations'))
    )
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.create_index('ix_recommendations_facility_status', ['facility_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendations_visit_id'), ['visit_id'], unique=False)

    op.create_table('red_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.Enum('low', 'medium', 'high', 'critical', name='severity', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_red_flags_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_red_flags')),
    sa.UniqueConstraint('visit_id', 'code', name=op.f('uq_red_flags_visit_id_code'))
    )
    with op.batch_alter_table('red_flags', schema=None) as batch_op:
        batch_op.create_index('ix_red_flags_code', ['code'], unique=False)

    op.create_table('visit_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_visit_members_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_members_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_members')),
    sa.UniqueConstraint('visit_id', 'user_id', name=op.f('uq_visit_members_visit_id_user_id'))
    )
    with op.batch_alter_table('visit_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_members_user_id'), ['user_id'], unique=False)

    op.create_table('visit_summaries',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('occupancy_rate', sa.Float(), nullable=True),
    sa.Column('children', sa.Integer(), nullable=True),
    sa.Column('unaccompanied_children', sa.Integer(), nullable=True),
    sa.Column('women', sa.Integer(), nullable=True),
    sa.Column('legal_access_denials', sa.Integer(), nullable=True),
    sa.Column('days_to_doctor', sa.Float(), nullable=True),
    sa.Column('m2_per_person', sa.Float(), nullable=True),
    sa.Column('hours_outdoors', sa.Float(), nullable=True),
    sa.Column('longest_detention_days', sa.Integer(), nullable=True),
    sa.Column('solitary_max_days', sa.Integer(), nullable=True),
    sa.Column('deaths', sa.Integer(), nullable=True),
    sa.Column('access_obstructed', sa.Boolean(), nullable=False),
    sa.Column('red_flag_count', sa.Integer(), nullable=False),
    sa.Column('red_flag_codes', sa.JSON(), nullable=False),
    sa.Column('score_overall', sa.Float(), nullable=True),
    sa.Column('share_assessed', sa.Float(), nullable=False),
    sa.Column('standards_met', sa.Integer(), nullable=False),
    sa.Column('standards_assessed', sa.Integer(), nullable=False),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('engine_version', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_visit_summaries_facility_id_facilities')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_summaries_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', name=op.f('pk_visit_summaries'))
    )
    with op.batch_alter_table('visit_summaries', schema=None) as batch_op:
        batch_op.create_index('ix_visit_summaries_facility_date', ['facility_id', 'visit_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_summaries_facility_id'), ['facility_id'], unique=False)
        batch_op.create_index('ix_visit_summaries_public', ['is_published', 'facility_id', 'visit_date'], unique=False)

    op.create_table('recommendation_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recommendation_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('suggested', 'not_implemented', 'in_progress', 'partially_implemented', 'implemented', 'rejected', 'no_longer_applicable', name='recommendation_status', native_enum=False, create_constraint=True, length=25), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('authority_response', sa.Text(), nullable=True),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recommendation_id'], ['recommendations.id'], name=op.f('fk_recommendation_updates_recommendation_id_recommendations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_recommendation_updates_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_recommendation_updates_visit_id_visits'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_updates'))
    )
    with op.batch_alter_table('recommendation_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_updates_recommendation_id'), ['recommendation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('recommendation_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_updates_recommendation_id'))

    op.drop_table('recommendation_updates')
    with op.batch_alter_table('visit_summaries', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_summaries_public')
        batch_op.drop_index(batch_op.f('ix_visit_summaries_facility_id'))
        batch_op.drop_index('ix_visit_summaries_facility_date')

    op.drop_table('visit_summaries')
    with op.batch_alter_table('visit_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_members_user_id'))

    op.drop_table('visit_members')
    with op.batch_alter_table('red_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_red_flags_code')

    op.drop_table('red_flags')
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendations_visit_id'))
        batch_op.drop_index('ix_recommendations_facility_status')

    op.drop_table('recommendations')
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interviews_visit_id'))

    op.drop_table('interviews')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_standard_status')

    op.drop_table('findings')
    op.drop_table('area_scores')
    op.drop_table('answers')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_state_published')
        batch_op.drop_index(batch_op.f('ix_visits_organisation_id'))
        batch_op.drop_index('ix_visits_facility_start')

    op.drop_table('visits')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_object')
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))

    op.drop_table('users')
    with op.batch_alter_table('facility_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_sources_facility_id'))

    op.drop_table('facility_sources')
    op.drop_table('facility_aliases')
    op.drop_table('organisations')
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facilities_merged_into_id'))
        batch_op.drop_index('ix_facilities_country_type')

    op.drop_table('facilities')
