"""questionnaire version status: staged, offered or retired

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every version recorded so far came from the library folder, which offered it for new rounds.
    with op.batch_alter_table('questionnaire_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('staged', 'offered', 'retired', name='versionstatus',
                                                        native_enum=False, length=20),
                                      nullable=False, server_default='offered'))
    with op.batch_alter_table('questionnaire_version', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('questionnaire_version', schema=None) as batch_op:
        batch_op.drop_column('status')
