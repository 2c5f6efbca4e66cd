"""interviews: spoken languages as BCP 47 codes, the interpreter on the record, seal format

Existing free-text languages are read into codes where every part names a known language
("Arabic", "Arabic and Kurdish", "عربي"); the others keep their text, get no codes and show
as "to fix" until a person chooses (app/intake/services/interview_languages.py). Testimony
sealed before this revision keeps format 1: its hash covers the free text, which stays as
it was; its codes lie outside the seal. Drafts take the codes in place of their text.
An interpreter named in the old free-text field is recorded as present.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 02:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

interviews = sa.table(
    "interviews",
    sa.column("id", sa.String),
    sa.column("status", sa.String),
    sa.column("language", sa.String),
    sa.column("languages", sa.String),
    sa.column("record_format", sa.Integer),
    sa.column("interpreter", sa.LargeBinary),
    sa.column("interpreter_present", sa.Boolean),
)


def upgrade():
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("languages", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("record_format", sa.Integer(), nullable=False, server_default="2")
        )
        batch_op.add_column(sa.Column("interpreter_present", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("interpreter_user_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("interpreter_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("interpreted_from", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("interpreted_to", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("read_back", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("read_back_language", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            "fk_interviews_interpreter_user_id_users",
            "users",
            ["interpreter_user_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.alter_column("languages", server_default=None)
        batch_op.alter_column("record_format", server_default=None)
    _read_languages(op.get_bind())


def _read_languages(connection) -> None:
    from app.language_codes import codes_from_text, join_codes

    rows = connection.execute(
        sa.select(interviews.c.id, interviews.c.status, interviews.c.language)
    ).all()
    for row_id, status, language in rows:
        sealed = status == "sealed"
        codes = codes_from_text(language or "")
        values = {"record_format": 1 if sealed else 2}
        if codes:
            values["languages"] = join_codes(codes)
            if not sealed:
                values["language"] = ""  # the draft now says it in codes
        connection.execute(interviews.update().where(interviews.c.id == row_id).values(values))
    connection.execute(
        interviews.update()
        .where(interviews.c.interpreter.is_not(None))
        .values(interpreter_present=True)
    )


def downgrade():
    connection = op.get_bind()
    # A draft whose language became codes gets them back as its text (the codes say it).
    connection.execute(
        interviews.update()
        .where(interviews.c.status != "sealed", interviews.c.language == "")
        .values(language=interviews.c.languages)
    )
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.drop_constraint("fk_interviews_interpreter_user_id_users", type_="foreignkey")
        for column in (
            "read_back_language",
            "read_back",
            "interpreted_to",
            "interpreted_from",
            "interpreter_code",
            "interpreter_user_id",
            "interpreter_present",
            "record_format",
            "languages",
        ):
            batch_op.drop_column(column)
