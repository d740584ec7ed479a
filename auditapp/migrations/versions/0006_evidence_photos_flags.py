"""evidence: stripped photo copies, EXIF capture facts, flag codes, near-identical comment digests

Revision ID: 0006_evidence
Revises: 0005_auth
Create Date: 2026-11-24 10:00:00

"""
import hashlib
import unicodedata

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0006_evidence'
down_revision = '0005_auth'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_flags',
    sa.Column('audit_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_flags_audit_id_audits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('audit_id', 'code', name=op.f('pk_audit_flags'))
    )
    with op.batch_alter_table('audit_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_flags_code'), ['code'], unique=False)

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripped_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('stripped_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('stripped_content_type', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('capture_latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('capture_longitude', sa.Float(), nullable=True))

    connection = op.get_bind()
    # The flag codes of audits already flagged.
    json_type = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
    audits = sa.table('audits', sa.column('id', sa.Uuid()), sa.column('flags', json_type))
    flags = sa.table('audit_flags', sa.column('audit_id', sa.Uuid()), sa.column('code', sa.String()))
    rows = [{"audit_id": audit_id, "code": code}
            for audit_id, stored in connection.execute(sa.select(audits.c.id, audits.c.flags))
            for code in sorted({flag["code"] for flag in stored or () if isinstance(flag, dict) and "code" in flag})]
    if rows:
        connection.execute(flags.insert(), rows)

    # Comment digests as services/flags.py computes them at the time of writing: NFKC, case-folded,
    # letters and digits only, at least 30 columns wide (a CJK character counts two).
    answers = sa.table('answers', sa.column('audit_id', sa.Uuid()), sa.column('item_key'), sa.column('comment'),
                       sa.column('comment_digest'))
    for audit_id, item_key, comment in connection.execute(
            sa.select(answers.c.audit_id, answers.c.item_key, answers.c.comment)
            .where(answers.c.comment.is_not(None))).all():
        normal = "".join(ch for ch in unicodedata.normalize("NFKC", comment).casefold()
                         if unicodedata.category(ch)[0] in "LMN")
        width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in normal)
        digest = hashlib.sha256(normal.encode("utf-8")).hexdigest() if width >= 30 else None
        connection.execute(answers.update()
                           .where(answers.c.audit_id == audit_id, answers.c.item_key == item_key)
                           .values(comment_digest=digest))


def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('capture_longitude')
        batch_op.drop_column('capture_latitude')
        batch_op.drop_column('captured_at')
        batch_op.drop_column('stripped_content_type')
        batch_op.drop_column('stripped_size')
        batch_op.drop_column('stripped_sha256')

    with op.batch_alter_table('audit_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_flags_code'))

    op.drop_table('audit_flags')
