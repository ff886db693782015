"""Sensitive tags encrypted at rest (see the docstring of wangge/people/models.py): the new
columns, the link table, and the existing links and history moved there."""

import django.db.models.deletion
from django.db import migrations, models

import wangge.core.encrypted


# --- the data: every link of a person to a sensitive tag moves to the encrypted storage, and the
# sensitive tags named in the history are encrypted (wangge/people/models.py)
def _token(tag_id) -> str:
    from wangge.core import crypto

    return crypto.lookup_hash(f"sensitive-tag:{tag_id}")  # services.tag_token


def encrypt_links(apps, schema_editor):
    import json

    Tag = apps.get_model("people", "Tag")
    Person = apps.get_model("people", "Person")
    Link = apps.get_model("people", "SensitiveTagLink")
    Change = apps.get_model("people", "PersonChange")
    through = Person.tags.through
    secret = list(Tag.objects.filter(sensitive=True).values_list("pk", flat=True))
    by_person: dict[int, list[int]] = {}
    for person_id, tag_id in through.objects.filter(tag_id__in=secret).values_list(
            "person_id", "tag_id"):
        by_person.setdefault(person_id, []).append(tag_id)
    for person_id, ids in by_person.items():
        text = "[" + ",".join(map(str, sorted(set(ids)))) + "]"
        Person.objects.filter(pk=person_id).update(sensitive_tags_enc=text)  # sealed on write
        Link.objects.bulk_create([Link(person_id=person_id, token=_token(i)) for i in set(ids)])
    through.objects.filter(tag_id__in=secret).delete()
    # the history: only rows naming sensitive tags change
    for pk, before, after in Change.objects.values_list("pk", "before", "after").iterator(
            chunk_size=5000):
        tags = {}
        parts = {"before": before, "after": after}
        for key, snapshot in parts.items():
            if isinstance(snapshot, dict) and "sensitive_tags" in snapshot:
                tags[key] = snapshot["sensitive_tags"]
                parts[key] = {k: v for k, v in snapshot.items() if k != "sensitive_tags"}
        if any(tags.values()):
            Change.objects.filter(pk=pk).update(
                before=parts["before"], after=parts["after"],
                sensitive_enc=json.dumps(tags, ensure_ascii=False))


def decrypt_links(apps, schema_editor):
    import json

    Person = apps.get_model("people", "Person")
    Change = apps.get_model("people", "PersonChange")
    through = Person.tags.through
    for person in Person.objects.exclude(sensitive_tags_enc="").only("pk", "sensitive_tags_enc"):
        through.objects.bulk_create([through(person_id=person.pk, tag_id=int(i))
                                     for i in json.loads(person.sensitive_tags_enc)],
                                    ignore_conflicts=True)
    for change in Change.objects.exclude(sensitive_enc=""):
        tags = json.loads(change.sensitive_enc)
        for key in ("before", "after"):
            snapshot = getattr(change, key)
            if isinstance(snapshot, dict):
                setattr(change, key, {**snapshot, "sensitive_tags": tags.get(key, [])})
        Change.objects.filter(pk=change.pk).update(before=change.before, after=change.after)


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0003_hash_indexes_without_like'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='sensitive_tags_enc',
            field=wangge.core.encrypted.EncryptedTextField(associated='person-sensitive-tags', blank=True, editable=False, verbose_name='sensitive tags (encrypted)'),
        ),
        migrations.AddField(
            model_name='personchange',
            name='sensitive_enc',
            field=wangge.core.encrypted.EncryptedTextField(associated='person-change-sensitive-tags', blank=True, editable=False, verbose_name='sensitive tags (encrypted)'),
        ),
        migrations.CreateModel(
            name='SensitiveTagLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(db_index=True, max_length=64)),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sensitive_links', to='people.person')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('person', 'token'), name='people_unique_sensitive_link')],
            },
        ),
        migrations.RunPython(encrypt_links, decrypt_links),
    ]
