"""Alembic migrations build the schema the models describe, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from core.extensions import db
from helpline.app import create_app
from tickets.search import managed_by_ddl


def migrate_and_compare(url, tmp_path):
    app = create_app({
        "TESTING": True, "DATABASE_URL": url, "DATA_DIR": str(tmp_path / "d"),
        "SECRET_KEY": "x",
    })
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": False,
                # made by DDL, not described by the models (tickets.search)
                "include_object": lambda _o, name, type_, *_: not managed_by_ddl(name, type_),
            })
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    return tables, diff


def test_migrations_upgrade_empty_sqlite(tmp_path):
    tables, diff = migrate_and_compare(f"sqlite:///{tmp_path / 'm.db'}", tmp_path)
    assert {"organizations", "tickets", "recordings", "callbacks", "audit_events"} <= tables
    assert diff == [], f"models and migrations differ: {diff}"


@pytest.mark.postgres
def test_migrations_upgrade_empty_postgres(postgres_url, tmp_path):
    tables, diff = migrate_and_compare(postgres_url, tmp_path)
    assert {"organizations", "tickets", "recordings", "callbacks", "audit_events"} <= tables
    assert diff == [], f"models and migrations differ: {diff}"
