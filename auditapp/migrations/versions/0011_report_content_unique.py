"""one stored rendering per report content: render tasks may run twice (a worker killed mid-task)

Revision ID: 0011_report_unique
Revises: 0010_item_notes
Create Date: 2026-12-06 21:00:00

Renderings of the same content made before (two batches at once) are duplicates of one report: the
oldest row of each content digest is kept.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_report_unique'
down_revision = '0010_item_notes'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text(
        "DELETE FROM report_files WHERE id NOT IN "
        "(SELECT keep FROM (SELECT MIN(id) AS keep FROM report_files GROUP BY content_digest) AS oldest)"))
    with op.batch_alter_table('report_files', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_report_files_content_digest', ['content_digest'])


def downgrade():
    with op.batch_alter_table('report_files', schema=None) as batch_op:
        batch_op.drop_constraint('uq_report_files_content_digest', type_='unique')
