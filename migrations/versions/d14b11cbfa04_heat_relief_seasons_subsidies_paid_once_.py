"""heat relief: seasons, subsidies paid once a year per family, cool-down packs

Revision ID: d14b11cbfa04
Revises: 003f44a3235a
Create Date: 2026-12-02 07:02:58.398749

A family is paid at most once in a year's heat season, whichever level pays: the UNIQUE key on
heat_subsidies (year, family_id) holds that rule in the database as well as in the domain.
"""
import sqlalchemy as sa
from alembic import op

import portal.models.base


# revision identifiers, used by Alembic.
revision = 'd14b11cbfa04'
down_revision = '003f44a3235a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('heat_seasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('paying_level', sa.String(length=12), nullable=False),
    sa.Column('paying_union_id', sa.Integer(), nullable=False),
    sa.Column('levels', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by_label', sa.String(length=80), nullable=False),
    sa.Column('created_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("paying_level IN ('city', 'district')", name=op.f('ck_heat_seasons_paying_level_values')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_heat_seasons_status_values')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_heat_seasons_amount_positive')),
    sa.ForeignKeyConstraint(['paying_union_id'], ['unions.id'], name=op.f('fk_heat_seasons_paying_union_id_unions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heat_seasons'))
    )
    with op.batch_alter_table('heat_seasons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heat_seasons_paying_union_id'), ['paying_union_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_heat_seasons_year'), ['year'], unique=False)

    op.create_table('cooling_pack_handouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=True),
    sa.Column('station_id', sa.Integer(), nullable=True),
    sa.Column('union_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('handed_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('recorded_by_label', sa.String(length=80), nullable=False),
    sa.Column('recorded_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(family_id IS NULL) <> (station_id IS NULL)',
        name=op.f('ck_cooling_pack_handouts_family_or_station')),
    sa.CheckConstraint('count > 0', name=op.f('ck_cooling_pack_handouts_count_positive')),
    sa.ForeignKeyConstraint(['family_id'], ['hardship_families.id'],
        name=op.f('fk_cooling_pack_handouts_family_id_hardship_families')),
    sa.ForeignKeyConstraint(['season_id'], ['heat_seasons.id'],
        name=op.f('fk_cooling_pack_handouts_season_id_heat_seasons')),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_cooling_pack_handouts_station_id_stations')),
    sa.ForeignKeyConstraint(['union_id'], ['unions.id'], name=op.f('fk_cooling_pack_handouts_union_id_unions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cooling_pack_handouts'))
    )
    with op.batch_alter_table('cooling_pack_handouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cooling_pack_handouts_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cooling_pack_handouts_season_id'), ['season_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cooling_pack_handouts_station_id'), ['station_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cooling_pack_handouts_union_id'), ['union_id'], unique=False)

    op.create_table('heat_subsidies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('paying_level', sa.String(length=12), nullable=False),
    sa.Column('union_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_label', sa.String(length=80), nullable=False),
    sa.CheckConstraint("paying_level IN ('city', 'district')", name=op.f('ck_heat_subsidies_paying_level_values')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_heat_subsidies_amount_positive')),
    sa.ForeignKeyConstraint(['family_id'], ['hardship_families.id'],
        name=op.f('fk_heat_subsidies_family_id_hardship_families')),
    sa.ForeignKeyConstraint(['season_id'], ['heat_seasons.id'], name=op.f('fk_heat_subsidies_season_id_heat_seasons')),
    sa.ForeignKeyConstraint(['union_id'], ['unions.id'], name=op.f('fk_heat_subsidies_union_id_unions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heat_subsidies')),
    sa.UniqueConstraint('year', 'family_id', name=op.f('uq_heat_subsidies_year_family_id'))
    )
    with op.batch_alter_table('heat_subsidies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heat_subsidies_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_heat_subsidies_season_id'), ['season_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_heat_subsidies_union_id'), ['union_id'], unique=False)



def downgrade():
    with op.batch_alter_table('heat_subsidies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heat_subsidies_union_id'))
        batch_op.drop_index(batch_op.f('ix_heat_subsidies_season_id'))
        batch_op.drop_index(batch_op.f('ix_heat_subsidies_family_id'))

    op.drop_table('heat_subsidies')
    with op.batch_alter_table('cooling_pack_handouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cooling_pack_handouts_union_id'))
        batch_op.drop_index(batch_op.f('ix_cooling_pack_handouts_station_id'))
        batch_op.drop_index(batch_op.f('ix_cooling_pack_handouts_season_id'))
        batch_op.drop_index(batch_op.f('ix_cooling_pack_handouts_family_id'))

    op.drop_table('cooling_pack_handouts')
    with op.batch_alter_table('heat_seasons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heat_seasons_year'))
        batch_op.drop_index(batch_op.f('ix_heat_seasons_paying_union_id'))

    op.drop_table('heat_seasons')
