"""stations directory: district, season, contact and the services each offers

Revision ID: 533ca5a5a252
Revises: 57a8d5c6e6f5
Create Date: 2026-12-02 06:44:32.480663

Stations already registered take their union's district, so the public directory lists them
under a district from the start; staff refine it on the station's page.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '533ca5a5a252'
down_revision = '57a8d5c6e6f5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('station_offers',
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=20), nullable=False),
    sa.CheckConstraint("service IN ('water', 'rest', 'charging', 'microwave', 'first_aid', 'toilet', 'kiosk')",
                       name=op.f('ck_station_offers_service_values')),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_station_offers_station_id_stations'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('station_id', 'service', name=op.f('pk_station_offers'))
    )
    with op.batch_alter_table('station_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_offers_service'), ['service'], unique=False)

    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('season_starts_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('season_ends_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_stations_district'), ['district'], unique=False)

    op.execute("UPDATE stations SET district = "
               "(SELECT unions.district FROM unions WHERE unions.id = stations.union_id)")


def downgrade():
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stations_district'))
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_name')
        batch_op.drop_column('season_ends_on')
        batch_op.drop_column('season_starts_on')
        batch_op.drop_column('district')

    with op.batch_alter_table('station_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_offers_service'))

    op.drop_table('station_offers')
