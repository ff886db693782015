"""Jurisdiction scoping: the one mechanism every list and detail goes through.

Every model that belongs somewhere in the territory uses ``ScopedManager`` and names, in
``scope_path``, the lookup from the model to an ``Area``'s ``prefix``. An area's descendants are
exactly the areas whose prefix starts with its prefix (division codes nest), so scoping is one
indexed ``LIKE 'prefix%'`` filter, whatever the depth.

Views never call ``Model.objects.all()`` for users; they call ``visible_to(user)`` (web views
through ``ScopedQuerysetMixin``, API endpoints through ``scoped()``), and an object outside the
user's subtree is a 404, indistinguishable from one that does not exist.
"""

from __future__ import annotations

from django.db import models
from django.http import Http404

from wangge.accounts.choices import CONTROLLER_ROLES


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if getattr(user, "role", None) in CONTROLLER_ROLES:  # 三权分立: no territory data
            return self.none()
        prefix = getattr(user, "scope_prefix", None)
        if not prefix:
            return self.none()
        custom = getattr(self.model, "scope_q", None)
        if custom is not None:
            return self.filter(custom(user, prefix))
        path = self.model.scope_path
        return self.filter(**{f"{path}__startswith": prefix})


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    pass


def scoped(model, user):
    """The queryset of ``model`` that ``user`` may see."""
    return model.objects.visible_to(user)


def get_scoped_or_404(model, user, **lookup):
    try:
        return scoped(model, user).get(**lookup)
    except model.DoesNotExist:
        raise Http404(f"No {model._meta.verbose_name} matches the given query.") from None


class ScopedQuerysetMixin:
    """For class-based views: the queryset is always scoped to the requesting user."""

    model = None

    def get_queryset(self):
        return scoped(self.model, self.request.user)
