"""Who may do what, where a rule is shared by pages and the API."""

from __future__ import annotations

from wangge.accounts.choices import Role

BASE_DATA_EDITORS = frozenset({Role.GRID_WORKER, Role.DISPATCHER, Role.ADMIN})


def can_edit_base_data(user) -> bool:
    """Whether ``user`` may create and change base data (people, places, components,
    organisations) inside their jurisdiction.

    Base data is collected and kept by the people on the ground and their tier: grid workers
    (网格员, who collect it), street and community staff (role ``dispatcher``: 街道/社区受理员)
    and system administrators, plus superusers. Everyone else reads only: leaders (领导) and
    inspectors (督察员) watch and spot-check, command-center operators and department handlers
    work on cases, not on the registers. ``None`` is the system (command line, imports without
    ``--user``) and may. The jurisdiction is checked separately, by the services."""
    if user is None:
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or getattr(user, "role", "") in BASE_DATA_EDITORS


def can_record_inspection(user) -> bool:
    """Whether ``user`` may record a safety inspection (安全检查) of an organisation.

    An inspection is part of the organisation's base data, kept by the same people: base-data
    editors (``can_edit_base_data``: grid workers, street and community staff, system
    administrators, superusers). The 督察员 (role ``inspector``) is deliberately not among
    them: they supervise how cases are handled (督办, spot checks of the case loop) and read
    the registers, but an enterprise's fire or production-safety check is done and signed by
    the grid or the street. Leaders, command-center operators and department handlers read
    only. The jurisdiction is checked separately, by the service."""
    return can_edit_base_data(user)
