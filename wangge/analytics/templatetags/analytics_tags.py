"""Formatting of rates and changes for the analytics pages."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def pct(value):
    """A rate in percent, or "—" when it has no denominator."""
    if value is None or value == "":
        return "—"
    return f"{value:.1f}\u00a0%"


@register.filter
def delta(value, points=False):
    """A change: +3.2 % (counts) or +3.2 pp (rates); "—" when unknown. Rises are marked up,
    falls down (colour is left to the page: a rise is not always good)."""
    if value is None:
        return "—"
    unit = "pp" if points else "%"
    arrow = "▲" if value > 0 else ("▼" if value < 0 else "")
    css = "up" if value > 0 else ("down" if value < 0 else "flat")
    return format_html('<span class="delta delta-{}">{} {} {}</span>', css, arrow,
                       f"{value:+.1f}", unit)


@register.filter
def get(mapping, key):
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return ""
