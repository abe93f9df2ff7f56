"""encrypted two-factor secrets, round uids

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 12:30:00

The secrets are encrypted in place with the keys of the app running the migration (`assess db upgrade`
knows ENCRYPTION_KEY and SECRET_KEY), and decrypted again on downgrade. Each round gets a stable
uid, which identifies it across installations (`assess export` / `assess import`).
"""

import uuid
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from assess import encryption

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

rounds = sa.table('assessment', sa.column('id', sa.Integer()), sa.column('uid', sa.String()))
users = sa.table('user_account', sa.column('id', sa.Integer()), sa.column('totp_secret', sa.String()))


def _secrets(wanted: Callable[[str], bool]) -> list[tuple[int, str]]:
    """Each stored secret that `wanted` picks, with its user's id."""
    rows = op.get_bind().execute(sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None)))
    return [(user_id, secret) for user_id, secret in rows.all() if wanted(secret)]


def _store(secrets: list[tuple[int, str]]) -> None:
    for user_id, secret in secrets:
        op.get_bind().execute(users.update().where(users.c.id == user_id).values(totp_secret=secret))


def upgrade() -> None:
    plain = _secrets(lambda secret: not encryption.is_encrypted(secret))
    # Asked for before the table changes: SQLite cannot take its DDL back if this fails.
    keys = encryption.current_keyring() if plain else None
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=200),
                              existing_nullable=True)
    _store([(user_id, encryption.encrypt(secret, keys)) for user_id, secret in plain])
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uid', sa.String(length=36), nullable=True))
    connection = op.get_bind()
    for (round_id,) in connection.execute(sa.select(rounds.c.id)).all():
        connection.execute(rounds.update().where(rounds.c.id == round_id).values(uid=str(uuid.uuid4())))
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.alter_column('uid', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_assessment_uid'), ['uid'])


def downgrade() -> None:
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_assessment_uid'), type_='unique')
        batch_op.drop_column('uid')
    _store([(user_id, encryption.decrypt(secret)) for user_id, secret in _secrets(encryption.is_encrypted)])
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=200), type_=sa.String(length=64),
                              existing_nullable=True)
