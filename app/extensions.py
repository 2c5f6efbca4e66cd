"""Flask extensions, created unbound here and bound to the app in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def render_migration_type(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render encrypted columns as plain binary, so revisions never import app code."""
    if type_ == "type" and type(obj).__name__ in ("EncryptedText", "SealedText"):
        return "sa.LargeBinary()"
    return False


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()


def init_migrations(app, directory: str) -> None:
    """Alembic through Flask-Migrate, for `flask db`, the CLI and the tests.

    Imported here, not at the top: Alembic brings Mako and Pygments (about 10 MB per process),
    and a gunicorn web worker never migrates (gunicorn.conf.py sets CUSTOS_WEB_WORKER=1).
    """
    from flask_migrate import Migrate

    Migrate(
        app,
        db,
        directory=directory,
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_type,
    )
