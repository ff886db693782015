from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "wangge.core"
    label = "core"

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from wangge.core import keys

        # the keys of personal data are checked against the database's fingerprints on each
        # process's first connection, and stored after migrate on a fresh database
        connection_created.connect(keys.on_connection_created,
                                   dispatch_uid="wangge.core.keys.check")
        post_migrate.connect(keys.after_migrate, sender=self,
                             dispatch_uid="wangge.core.keys.after_migrate")
