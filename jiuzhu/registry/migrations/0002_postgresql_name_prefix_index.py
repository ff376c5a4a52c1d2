"""PostgreSQL only: an index LIKE 'prefix%' can use whatever the database collation is.

SQLite's LIKE is case-insensitive ASCII and cannot use an index either way; its default
btree index on name serves equality and ordering there.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS person_name_prefix_idx ON registry_person (name varchar_pattern_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS person_name_prefix_idx")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
