"""The admin app with Wangge's site (wangge/core/admin_site.py): every ModelAdmin registered
anywhere gets the site-wide rules (deletions audited, the auditor confined to the audit log)."""

from django.contrib.admin.apps import AdminConfig


class WanggeAdminConfig(AdminConfig):
    default_site = "wangge.core.admin_site.AdminSite"
