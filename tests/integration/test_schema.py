"""The schema is declared once (`banli.store.schema`): the migrations build exactly it, and the
SQLModel classes are mapped onto its tables, column for column."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert

from banli.store import schema, tables
from banli.store.db import open_engine
from banli.store.schema import upgrade

MODELS = [tables.WorkflowDefinition, tables.Unit, tables.Person, tables.Deputy, tables.Item, tables.ItemDeputy,
          tables.Assignment, tables.Trace, tables.Journal, tables.CalendarYear, tables.Reminder,
          tables.Notification, tables.Delivery, tables.Campaign, tables.CampaignTask, tables.OrgSetting,
          tables.Account, tables.WebSession, tables.ApiToken, tables.Invitation]


def test_the_migrations_build_the_declared_schema(db_url):
    """What `alembic check` / autogenerate would report: no table, column, type, index or
    constraint the migrations and `schema.metadata` disagree on."""
    engine = open_engine(db_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    finally:
        engine.dispose()
    assert differences == []


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_each_sqlmodel_class_is_mapped_onto_its_core_table(model):
    assert model.__table__ is schema.metadata.tables[model.__table__.name]
    assert set(model.model_fields) == set(model.__table__.columns.keys())


def test_every_table_has_a_sqlmodel_class():
    assert {model.__table__.name for model in MODELS} == set(schema.metadata.tables)


def test_a_row_written_through_core_reads_back_through_sqlmodel(store):
    from sqlmodel import Session, select

    with store.engine.begin() as connection:
        connection.execute(insert(schema.deputy_t).values(name="测试代表"))
    with Session(store.engine) as session:
        names = session.exec(select(tables.Deputy.name).where(tables.Deputy.name == "测试代表")).all()
    assert names == ["测试代表"]
