"""audits keep QA's item-level notes of their last return

Revision ID: 0010_item_notes
Revises: 0009_outbox
Create Date: 2026-12-06 21:00:00

Audits returned before have none (NULL): their notes were written for the whole audit.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0010_item_notes'
down_revision = '0009_outbox'
branch_labels = None
depends_on = None


def upgrade():
    json_type = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_item_notes', json_type, nullable=True))


def downgrade():
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_column('review_item_notes')
