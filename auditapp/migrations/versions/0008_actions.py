"""corrective action plans, their append-only events, and wave closures

Revision ID: 0008_actions
Revises: 0007_figures
Create Date: 2026-12-06 21:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0008_actions'
down_revision = '0007_figures'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    op.create_table('actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('program', sa.String(length=64), nullable=False),
    sa.Column('item_key', sa.String(length=64), nullable=False),
    sa.Column('item_text', JSON, nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('evidence', JSON, nullable=False),
    sa.Column('points_lost', sa.Float(), nullable=False),
    sa.Column('knockout_cost', sa.Float(), nullable=False),
    sa.Column('owner', sa.String(length=32), nullable=True),
    sa.Column('recommended_action', JSON, nullable=True),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('root_cause', sa.Text(), nullable=True),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('responsible', sa.String(length=200), nullable=True),
    sa.Column('due_limit', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('implementation_files', JSON, nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('verification', sa.String(length=16), nullable=True),
    sa.Column('verified_wave_id', sa.Integer(), nullable=True),
    sa.Column('verified_visits', sa.Integer(), nullable=True),
    sa.Column('verified_fully_met', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.CheckConstraint("origin IN ('knockout', 'top_gap', 'manual')", name=op.f('ck_actions_origin')),
    sa.CheckConstraint("status IN ('open', 'planned', 'submitted', 'accepted', 'returned')",
                       name=op.f('ck_actions_status')),
    sa.CheckConstraint("verification IS NULL OR verification IN ('effective', 'not_effective')",
                       name=op.f('ck_actions_verification')),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealers.id'], name=op.f('fk_actions_dealer_id_dealers')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_actions_raised_by_id_users')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_actions_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['verified_wave_id'], ['waves.id'], name=op.f('fk_actions_verified_wave_id_waves')),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_actions_wave_id_waves')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actions')),
    sa.UniqueConstraint('dealer_id', 'wave_id', 'program', 'item_key', name=op.f('uq_actions_dealer_id_wave_id_program_item_key'))
    )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actions_dealer_id'), ['dealer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_wave_id'), ['wave_id'], unique=False)

    op.create_table('wave_closures',
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_wave_closures_closed_by_id_users')),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_wave_closures_wave_id_waves')),
    sa.PrimaryKeyConstraint('wave_id', name=op.f('pk_wave_closures'))
    )

    op.create_table('action_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('wave_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('before', JSON, nullable=True),
    sa.Column('after', JSON, nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_action_events_action_id_actions')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_action_events_actor_id_users')),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_action_events_wave_id_waves')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_events'))
    )
    with op.batch_alter_table('action_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_events_action_id'), ['action_id'], unique=False)

    # Append-only in the database itself, like audit_events (0004 made the PostgreSQL function).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER action_events_append_only BEFORE UPDATE OR DELETE ON action_events "
                   "FOR EACH ROW EXECUTE FUNCTION auditapp_append_only()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER action_events_no_{action.lower()} BEFORE {action} ON action_events "
                       f"BEGIN SELECT RAISE(ABORT, 'action_events rows are append-only'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER action_events_append_only ON action_events")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER action_events_no_{action}")
    with op.batch_alter_table('action_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_events_action_id'))
    op.drop_table('action_events')
    op.drop_table('wave_closures')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actions_wave_id'))
        batch_op.drop_index(batch_op.f('ix_actions_dealer_id'))
    op.drop_table('actions')
