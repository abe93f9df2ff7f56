"""each round's own participants

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 02:10:00

Until now a round asked its council's whole membership. Each round now has its participants; an
existing round gets the people it has today: everyone with an individual response in it (in the group
they answered for) and everyone who accepted an invitation to answer it, so nothing already answered
disappears.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import assess.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUP = sa.Enum('officer', 'member', 'other', name='respondentgroup', native_enum=False, length=20)
JOINED_BY = sa.Enum('invited', 'added', 'carried-over', name='joinedby', native_enum=False, length=20)

participants = sa.table('participant', sa.column('assessment_id', sa.Integer()), sa.column('user_id', sa.Integer()),
                        sa.column('group', sa.String()), sa.column('how', sa.String()),
                        sa.column('added_at', assess.db.UTCDateTime(timezone=True)),
                        sa.column('added_by_id', sa.Integer()))
responses = sa.table('response', sa.column('assessment_id', sa.Integer()), sa.column('respondent_id', sa.Integer()),
                     sa.column('respondent_group', sa.String()), sa.column('kind', sa.String()))
invitations = sa.table('invitation', sa.column('assessment_id', sa.Integer()), sa.column('used_by_id', sa.Integer()),
                       sa.column('group', sa.String()), sa.column('invited_as', sa.String()),
                       sa.column('invited_by_id', sa.Integer()))
rounds = sa.table('assessment', sa.column('id', sa.Integer()), sa.column('organisation_id', sa.Integer()))
memberships = sa.table('membership', sa.column('user_id', sa.Integer()), sa.column('organisation_id', sa.Integer()),
                       sa.column('group', sa.String()))


def upgrade() -> None:
    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('group', GROUP, nullable=False),
    sa.Column('how', JOINED_BY, nullable=False),
    sa.Column('added_at', assess.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['user_account.id'], name=op.f('fk_participant_added_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_participant_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_participant_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant')),
    sa.UniqueConstraint('assessment_id', 'user_id', name=op.f('uq_participant_assessment_id'))
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_user_id'), ['user_id'], unique=False)
    _ask_the_people_each_round_has()


def _ask_the_people_each_round_has() -> None:
    """Everyone with an individual response in a round, or who accepted an invitation to answer it, takes part."""
    connection = op.get_bind()
    found: dict[tuple[int, int], dict[str, object]] = {}
    accepted = connection.execute(
        sa.select(invitations.c.assessment_id, invitations.c.used_by_id, invitations.c.group,
                  invitations.c.invited_by_id)
        .where(invitations.c.used_by_id.is_not(None), invitations.c.invited_as == 'respondent')).all()
    for round_id, user_id, group, invited_by in accepted:
        found[(round_id, user_id)] = {'group': group, 'how': 'invited', 'added_by_id': invited_by}
    # The group a person answered in wins over their invitation's, then their council's: it is what figures show.
    answered = connection.execute(
        sa.select(responses.c.assessment_id, responses.c.respondent_id, responses.c.respondent_group,
                  memberships.c.group)
        .join(rounds, rounds.c.id == responses.c.assessment_id)
        .outerjoin(memberships, sa.and_(memberships.c.user_id == responses.c.respondent_id,
                                        memberships.c.organisation_id == rounds.c.organisation_id))
        .where(responses.c.kind == 'individual', responses.c.respondent_id.is_not(None))
        .order_by(responses.c.assessment_id, responses.c.respondent_id)).all()
    for round_id, user_id, answered_as, member_group in answered:
        row = found.setdefault((round_id, user_id), {'how': 'added', 'added_by_id': None})
        row['group'] = answered_as or row.get('group') or member_group or 'other'
    now = datetime.now(UTC)
    if found:
        connection.execute(participants.insert(), [
            {'assessment_id': round_id, 'user_id': user_id, 'added_at': now, **row}
            for (round_id, user_id), row in sorted(found.items())])


def downgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_user_id'))
    op.drop_table('participant')
