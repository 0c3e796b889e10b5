"""The flows' windows (jsonb documents of up to ~12 KB, rewritten whenever a run ends)
are compressed with lz4 on PostgreSQL instead of pglz: less CPU for every run's
end (docs/benchmarks.md, "The rollups' cost when a run ends"). A server built without
lz4 keeps pglz; SQLite stores text and has nothing to change. A document keeps the
compression it was written with until the next run rewrites it."""

from django.db import DatabaseError, migrations, transaction

COLUMNS = ("runs", "others", "steps")


def compression(method):
    def change(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("playback", "FlowWindow")._meta.db_table)
        try:
            with transaction.atomic(using=connection.alias):
                for column in COLUMNS:
                    schema_editor.execute(
                        f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}"
                    )
        except DatabaseError:  # built without lz4 (or older than PostgreSQL 14)
            return

    return change


class Migration(migrations.Migration):
    dependencies = [
        ("playback", "0034_warm_sessions"),
    ]

    operations = [
        migrations.RunPython(compression("lz4"), compression("default")),
    ]
