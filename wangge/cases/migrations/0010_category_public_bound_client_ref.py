"""Issue #11: the allow-list of the public Open311 feed (``Category.public``, set from the
``public`` column of the shipped taxonomy for the codes it has; every other type stays
private), and client refs bound to their sender (``services.bound_client_ref``): the refs that
staff devices sent before are stored again in the bound form, so that an offline queue that
spans the upgrade still finds its case. Refs of residents and Open311 clients cannot be bound
after the fact (their sender was not kept); they no longer match anything."""

from django.db import migrations, models

HELP = ("Cases of this type reported by residents or the hotline may appear in the public "
        "Open311 feed (rounded position, no names, no notes). A 小类 is public only when its 大类 "
        "is public too. Off for social-governance types (disputes, suspicious persons, special "
        "groups, help for the elderly): they name people and homes. On by default for "
        "city-management events and components (sanitation, roads, street order, public "
        "facilities).")


def set_public(apps, schema_editor):
    from wangge.cases import taxonomy

    Category = apps.get_model("cases", "Category")
    rows = taxonomy.read_rows(taxonomy.DEFAULT_FILE.read_bytes(), "taxonomy.csv")
    public = {r["code"]: taxonomy.FLAG_VALUES[r["public"].strip().lower()]
              for r in rows if r is not None}
    majors = {code[:2] for code, flag in public.items() if flag}
    Category.objects.filter(code__in=[c for c, flag in public.items() if flag]).update(
        public=True)
    Category.objects.filter(code__in=majors, parent=None).update(public=True)


def bind_staff_refs(apps, schema_editor):
    from wangge.cases.services import bound_client_ref

    Case = apps.get_model("cases", "Case")
    rows = (Case.objects.exclude(client_ref="").filter(reporter__isnull=False)
            .exclude(client_ref__startswith="portal-").exclude(client_ref__startswith="o311:")
            .values_list("pk", "reporter_id", "client_ref"))
    for pk, reporter_id, ref in rows.iterator():
        Case.objects.filter(pk=pk).update(
            client_ref=bound_client_ref(f"user:{reporter_id}", ref))


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0009_encrypt_reporter_phone"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="public",
            field=models.BooleanField(default=False, help_text=HELP, verbose_name="public"),
        ),
        migrations.RunPython(set_public, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(bind_staff_refs, migrations.RunPython.noop, elidable=False),
    ]
