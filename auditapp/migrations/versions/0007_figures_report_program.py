"""report files name their program: reports are rendered per (subject, wave, program)

Revision ID: 0007_figures
Revises: 0006_evidence
Create Date: 2026-11-24 09:00:00

Renderings made before have no program (NULL): they mixed the wave's programs, and are never
matched again, as their content digest differs from any per-program report's.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_figures'
down_revision = '0006_evidence'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('program', sa.String(length=64), nullable=True))
        batch_op.drop_index('ix_report_files_subject')
        batch_op.create_index('ix_report_files_subject',
                              ['kind', 'wave_id', 'program', 'dealer_id', 'region_id', 'lang'], unique=False)


def downgrade():
    with op.batch_alter_table('report_files', schema=None) as batch_op:
        batch_op.drop_index('ix_report_files_subject')
        batch_op.create_index('ix_report_files_subject', ['kind', 'wave_id', 'dealer_id', 'region_id', 'lang'],
                              unique=False)
        batch_op.drop_column('program')
