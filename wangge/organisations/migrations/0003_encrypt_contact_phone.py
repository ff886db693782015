"""The contact phone stored encrypted (wangge/core/encrypted.py): the column becomes text (a
ciphertext is longer than 30 characters) and the phones already there are encrypted."""

import django.core.validators
from django.db import migrations

import wangge.core.encrypted

ASSOCIATED = "organisation-contact-phone"


def encrypt(apps, schema_editor):
    from wangge.core.encrypted import encrypt_column

    encrypt_column(apps.get_model("organisations", "Organisation"), "contact_phone",
                   ASSOCIATED, connection=schema_editor.connection)


def decrypt(apps, schema_editor):
    from wangge.core.encrypted import decrypt_column

    decrypt_column(apps.get_model("organisations", "Organisation"), "contact_phone",
                   ASSOCIATED, connection=schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('organisations', '0002_organisationchange'),
    ]

    operations = [
        migrations.AlterField(
            model_name='organisation',
            name='contact_phone',
            field=wangge.core.encrypted.EncryptedTextField(
                associated=ASSOCIATED, blank=True,
                validators=[django.core.validators.MaxLengthValidator(30)], verbose_name='contact phone'),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
