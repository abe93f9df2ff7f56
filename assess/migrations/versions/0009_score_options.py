"""stored scores record the scorer options they were made with

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 02:30:00

Scores stored before this revision were made with the options their questionnaire version declares
(the version's definition never changes once recorded), so they are given those options.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

versions = sa.table('questionnaire_version', sa.column('id', sa.Integer()), sa.column('definition', sa.JSON()))
scores = sa.table('score', sa.column('questionnaire_version_id', sa.Integer()),
                  sa.column('scorer_options', sa.JSON()))


def upgrade() -> None:
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scorer_options', sa.JSON(), nullable=True))
    connection = op.get_bind()
    for version_id, definition in connection.execute(sa.select(versions.c.id, versions.c.definition)).all():
        options = ((definition or {}).get('scoring') or {}).get('options') or {}
        connection.execute(scores.update().where(scores.c.questionnaire_version_id == version_id)
                           .values(scorer_options=options))
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.alter_column('scorer_options', existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_column('scorer_options')
