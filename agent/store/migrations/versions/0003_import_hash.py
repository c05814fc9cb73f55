"""episodes.import_sha256: the content hash of an imported episode, so a second import of the
same file is noticed instead of duplicating every episode.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("episodes") as batch_op:
        batch_op.add_column(sa.Column("import_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_episodes_import_sha256", ["import_sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("episodes") as batch_op:
        batch_op.drop_index("ix_episodes_import_sha256")
        batch_op.drop_column("import_sha256")
