from django.db import migrations


def load(apps, schema_editor):
    from wangge.cases import taxonomy

    Category = apps.get_model("cases", "Category")
    TimeLimit = apps.get_model("cases", "TimeLimit")
    rows = taxonomy.read_rows(taxonomy.DEFAULT_FILE.read_bytes(), "taxonomy.csv")
    taxonomy.import_taxonomy(rows, source="taxonomy.csv", models=(Category, TimeLimit))
    taxonomy.ensure_default_limits(models=TimeLimit)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
