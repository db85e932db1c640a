"""Alembic environment: migrations run on a connection handed over by `storage.db.upgrade`."""

from alembic import context

from storage.models import Base, UtcDateTime


def render_item(type_, obj, autogen_context):  # type: ignore[no-untyped-def]
    """Migrations name plain SQLAlchemy types, so they never import the models module."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `dips db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
