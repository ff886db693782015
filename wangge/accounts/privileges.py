"""Who may manage accounts, and which roles they may grant (least privilege, 三权分立).

- Accounts are managed (created, changed, roles and jurisdictions set) only by superusers and
  系统管理员 (role ``admin``) with admin access (``is_staff``). Other staff — a dispatcher made
  ``is_staff`` to edit the territory, say — do not see accounts at all.
- Roles have a rank. Nobody grants a role ranked above their own, nor a jurisdiction outside
  their own, nor superuser status (only a superuser makes a superuser).
- 三权分立: system administration (``admin``), security administration (``security_admin``:
  unlocks accounts, resets two-factor, revokes API tokens, but changes no role or jurisdiction
  and does not read the audit trail) and audit (``auditor``: reads the audit trail, nothing
  else) are three roles; an account has exactly one role, a superuser is a system
  administrator, and only a superuser grants the security administrator's or the auditor's
  role (a system administrator cannot make himself his own controller).
"""

from __future__ import annotations

from wangge.accounts.choices import CONTROLLER_ROLES, Role

# higher ranks may grant lower ones (and their own); the two controllers' roles are outside
# the ladder: only a superuser grants them
RANK = {
    Role.GRID_WORKER: 10,
    Role.DEPARTMENT: 20,
    Role.DISPATCHER: 30,
    Role.INSPECTOR: 40,
    Role.OPERATOR: 50,
    Role.LEADER: 60,
    Role.ADMIN: 70,
    Role.SECURITY_ADMIN: 70,
    Role.AUDITOR: 70,
}
SEPARATE_ROLES = CONTROLLER_ROLES


def _staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def is_system_admin(user) -> bool:
    """A superuser, or a 系统管理员 with admin access."""
    return _staff(user) and (user.is_superuser or getattr(user, "role", "") == Role.ADMIN)


def is_security_admin(user) -> bool:
    return _staff(user) and not user.is_superuser and user.role == Role.SECURITY_ADMIN


def rank(role: str) -> int:
    return RANK.get(role, 0)


def grantable_roles(actor) -> list[str]:
    """The roles ``actor`` may give an account (in the order of ``Role``)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return []
    if actor.is_superuser:
        return list(Role.values)
    if not is_system_admin(actor):
        return []
    own = rank(actor.role)
    return [r for r in Role.values if r not in SEPARATE_ROLES and rank(r) <= own]


def separation_problem(role: str, is_superuser: bool) -> str | None:
    """Why an account with this role and superuser status would hold two of the three powers
    (None when it does not)."""
    if is_superuser and role != Role.ADMIN:
        return "superuser"
    return None
