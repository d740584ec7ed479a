"""audit figures: each audit's latest score version as the wave figures read it, one indexed row per audit

Revision ID: 0012_audit_figures
Revises: 0011_report_unique
Create Date: 2026-12-07 16:10:00

Filled here from every audit's latest score version (and version 1's overall); from now on
services/score_versions replaces an audit's row with each new version, in the same transaction.
"""
from typing import Any

import sqlalchemy as sa
from alembic import op

from auditapp.checklists import checklist_from_document
from auditapp.models.base import JSONDoc
from auditapp.services.score_versions import figures_of

# revision identifiers, used by Alembic.
revision = '0012_audit_figures'
down_revision = '0011_report_unique'
branch_labels = None
depends_on = None

_BATCH = 2000


def upgrade():
    op.create_table(
        'audit_figures',
        sa.Column('audit_id', sa.Uuid(), nullable=False),
        sa.Column('wave_id', sa.Integer(), nullable=False),
        sa.Column('program', sa.String(length=64), nullable=False),
        sa.Column('score_version_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('overall', sa.Float(), nullable=True),
        sa.Column('original_overall', sa.Float(), nullable=True),
        sa.Column('figures', JSONDoc, nullable=False),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_figures_audit_id_audits'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['score_version_id'], ['score_versions.id'],
                                name=op.f('fk_audit_figures_score_version_id_score_versions')),
        sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_audit_figures_wave_id_waves')),
        sa.PrimaryKeyConstraint('audit_id', name=op.f('pk_audit_figures')),
    )
    op.create_index('ix_audit_figures_wave_id_program', 'audit_figures', ['wave_id', 'program'], unique=False)
    conn = op.get_bind()
    table = sa.table('audit_figures', sa.column('audit_id', sa.Uuid()), sa.column('figures', JSONDoc),
                     *(sa.column(c) for c in ('wave_id', 'program', 'score_version_id', 'version', 'overall',
                                              'original_overall')))
    checklists = {row.id: checklist_from_document(row.document) for row in conn.execute(
        sa.text("SELECT id, document FROM checklist_versions").columns(sa.column("id", sa.Integer()),
                                                                        sa.column("document", JSONDoc)))}
    batch: list[dict[str, Any]] = []
    for row in conn.execute(_LATEST):
        checklist = checklists[row.checklist_version_id]
        batch.append({"audit_id": row.audit_id, "wave_id": row.wave_id, "program": checklist.key,
                      "score_version_id": row.id, "version": row.version, "overall": row.overall,
                      "original_overall": row.original_overall, "figures": figures_of(row.score, checklist)})
        if len(batch) >= _BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)


_LATEST = sa.text(
    "SELECT v.id, v.audit_id, v.version, v.overall, v.score, a.wave_id, a.checklist_version_id, "
    "first.overall AS original_overall "
    "FROM score_versions v "
    "JOIN (SELECT audit_id, MAX(version) AS version FROM score_versions GROUP BY audit_id) latest "
    "  ON latest.audit_id = v.audit_id AND latest.version = v.version "
    "JOIN score_versions first ON first.audit_id = v.audit_id AND first.version = 1 "
    "JOIN audits a ON a.id = v.audit_id").columns(
        sa.column("id", sa.Integer()), sa.column("audit_id", sa.Uuid()), sa.column("version", sa.Integer()),
        sa.column("overall", sa.Float()), sa.column("score", JSONDoc), sa.column("wave_id", sa.Integer()),
        sa.column("checklist_version_id", sa.Integer()), sa.column("original_overall", sa.Float()))


def downgrade():
    op.drop_index('ix_audit_figures_wave_id_program', table_name='audit_figures')
    op.drop_table('audit_figures')
