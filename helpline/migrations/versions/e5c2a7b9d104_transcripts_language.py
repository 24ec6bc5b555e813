"""transcripts: the language the engine decoded in

Revision ID: e5c2a7b9d104
Revises: d3a8f1c6e2b7
Create Date: 2026-12-02 05:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5c2a7b9d104'
down_revision = 'd3a8f1c6e2b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=False,
                                      server_default='ru'))


def downgrade():
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.drop_column('language')
