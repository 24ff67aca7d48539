"""Alembic environment: runs on the connection banli hands it (see banli.store.schema).

`target_metadata` is the Core schema of `banli.store.schema`, the tables the SQLModel classes
are mapped onto, so autogenerate compares the migrations with the one declaration of the schema.
"""

from alembic import context

from banli.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
