"""The monthly report (月度统计报告) as a PDF with charts: matplotlib, the Noto Sans CJK font
from Debian's fonts-noto-cjk registered explicitly and embedded (a Type 3 subset of the glyphs
used).

``wangge monthly-report --month 2026-10 [--area CODE] -o report.pdf`` and the statistics
page's download link both call ``monthly_report``; the figures are ``analytics.selectors``'s.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.analytics import selectors
from wangge.analytics.choices import WarningKind
from wangge.analytics.models import EarlyWarning
from wangge.territory.models import Area

FONT_DIRS = [Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto")]
FONT_FILES = ["NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"]
FONT_FAMILY = "Noto Sans CJK SC"
A4 = (8.27, 11.69)
INK, MUTED, ACCENT, ACCENT2, RED = "#1e293b", "#64748b", "#2563eb", "#93c5fd", "#b91c1c"

_font_lock = threading.Lock()
_font_ready = False


class FontMissing(RuntimeError):
    pass


def register_font() -> str:
    """Register the CJK font files with matplotlib (once per process); returns the family."""
    global _font_ready
    from matplotlib import font_manager

    with _font_lock:
        if not _font_ready:
            found = False
            for name in FONT_FILES:
                for folder in FONT_DIRS:
                    path = folder / name
                    if path.exists():
                        font_manager.fontManager.addfont(str(path))
                        found = found or name.endswith("Regular.ttc")
                        break
            if not found:
                raise FontMissing("Noto Sans CJK is missing: apt-get install fonts-noto-cjk")
            _font_ready = True
    return FONT_FAMILY


def _style() -> dict:
    return {
        # Type 3: the used glyphs' outlines are embedded with a ToUnicode map (text can be
        # searched and copied). Type 42 would embed the OpenType-CFF subset as a TrueType
        # file (FontFile2), which PDF readers flag as a font-type mismatch.
        "pdf.fonttype": 3,
        "font.family": "sans-serif",
        "font.sans-serif": [register_font(), "DejaVu Sans"],
        "axes.unicode_minus": False,
        "font.size": 9,
        "axes.edgecolor": "#cbd5e1", "axes.labelcolor": INK, "text.color": INK,
        "xtick.color": MUTED, "ytick.color": MUTED,
        "axes.spines.top": False, "axes.spines.right": False,
        "axes.titlesize": 11, "axes.titleweight": "bold", "axes.titlelocation": "left",
    }


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _delta(value, points: bool) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}" + (" pp" if points else "%")


def _table(ax, header: list[str], rows: list[list[str]], widths: list[float],
           font_size: float = 8.5, numeric_from: int = 1):
    ax.axis("off")
    if not rows:
        ax.text(0, 0.9, _("No cases in this period."), color=MUTED, transform=ax.transAxes)
        return
    table = ax.table(cellText=rows, colLabels=header, colWidths=widths, loc="upper left",
                     cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(font_size)
    table.scale(1, 1.3)
    for (row, col), cell in table.get_celld().items():
        cell.set_edgecolor("#e2e8f0")
        cell.set_linewidth(0.5)
        if col >= numeric_from:
            cell.set_text_props(ha="right")
            cell._loc = "right"
        if row == 0:
            cell.set_facecolor("#1e3a8a")
            cell.set_text_props(color="white", weight="bold")
        elif row % 2 == 0:
            cell.set_facecolor("#f8fafc")


def _header(fig, title: str, subtitle: str, page: int, pages: int):
    from matplotlib.patches import Rectangle

    fig.patches.append(Rectangle((0, 0.94), 1, 0.06, transform=fig.transFigure,
                                 facecolor="#0f1b33", zorder=-1))
    fig.text(0.06, 0.965, title, color="white", fontsize=15, weight="bold", va="center")
    fig.text(0.94, 0.965, subtitle, color="#cbd5e1", fontsize=9, va="center", ha="right")
    fig.text(0.94, 0.02, f"{page} / {pages}", color=MUTED, fontsize=8, ha="right")


def _labels() -> dict:
    from wangge.analytics.views import comparison_labels

    return comparison_labels()


def monthly_report(scope: selectors.Scope, area: Area, year: int, month: int,
                   user=None, now: dt.datetime | None = None) -> bytes:
    """The PDF bytes of the report for ``area`` and the month (its cases as ``scope`` sees
    them)."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    now = now or timezone.now()
    date_from, date_to = selectors.month_bounds(year, month)
    f = selectors.Filters(date_from, date_to, area)
    data = selectors.statistics(scope, f)
    trend = selectors.monthly_trend(scope, f)
    month_label = f"{year}-{month:02d}"
    title = _("%(area)s · monthly report %(month)s") % {"area": area.name, "month": month_label}
    generated = _("Generated %(at)s") % {
        "at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")}
    totals = data["totals"]
    comparison = data["comparison"]
    labels = _labels()
    pages = 3
    out = io.BytesIO()
    with matplotlib.rc_context(_style()), PdfPages(out, metadata={
            "Title": title, "Creator": "Wangge", "Subject": _("Monthly statistics report")}) as pdf:
        # --- page 1: key figures, the month day by day, the last 12 months ---------------
        fig = Figure(figsize=A4)
        _header(fig, title, generated, 1, pages)
        fig.text(0.06, 0.915, _("Cases reported %(from)s – %(to)s, counted as of the last "
                                "statistics refresh.") % {"from": date_from, "to": date_to},
                 color=MUTED, fontsize=9)
        tiles = [("reported", False), ("closed", False), ("closure_rate", True),
                 ("on_time_rate", True), ("satisfaction_rate", True), ("overdue_open", False)]
        by_key = {r["key"]: r for r in comparison["rows"]}
        for i, (key, is_rate) in enumerate(tiles):
            x = 0.06 + i * 0.148
            value = _pct(totals[key]) if is_rate else f"{totals[key]:,}"
            fig.patches.append(FancyBboxPatch(
                (x, 0.805), 0.135, 0.085, boxstyle="round,pad=0,rounding_size=0.008",
                transform=fig.transFigure, facecolor="#f1f5f9", edgecolor="#e2e8f0",
                linewidth=0.6))
            fig.text(x + 0.01, 0.872, labels[key], fontsize=8, color=MUTED)
            fig.text(x + 0.01, 0.838, value, fontsize=15, weight="bold",
                     color=RED if key == "overdue_open" and totals[key] else INK)
            row = by_key.get(key)
            if row:
                fig.text(x + 0.01, 0.813, _("MoM %(m)s · YoY %(y)s") % {
                    "m": _delta(row["mom"], is_rate), "y": _delta(row["yoy"], is_rate)},
                    fontsize=6.5, color=MUTED)
        ax = fig.add_axes((0.06, 0.6, 0.88, 0.16))
        header = [_("Figure"), _("This month"), _("Previous month"), _("MoM"),
                  _("A year before"), _("YoY")]
        rows = []
        for row in comparison["rows"]:
            fmt = _pct if row["points"] else (lambda v: f"{v:,}")
            rows.append([labels[row["key"]], fmt(row["current"]), fmt(row["previous"]),
                         _delta(row["mom"], row["points"]), fmt(row["year_ago"]),
                         _delta(row["yoy"], row["points"])])
        _table(ax, header, rows, [0.28, 0.14, 0.16, 0.12, 0.16, 0.12])
        ax.set_title(_("Key figures"), pad=6)

        ax = fig.add_axes((0.08, 0.33, 0.86, 0.2))
        days = data["time"]["rows"]
        xs = list(range(1, len(days) + 1))
        ax.bar(xs, [d["reported"] for d in days], color=ACCENT2, label=_("Reports"))
        ax.bar(xs, [d["closed"] for d in days], color=ACCENT, width=0.45, label=_("Closed"))
        ax.plot(xs, [d["year_ago"] for d in days], color=MUTED, linewidth=1, linestyle="--",
                label=_("A year before"))
        ax.set_xticks(xs[::2] if len(xs) > 16 else xs)
        ax.set_xlim(0.3, len(xs) + 0.7)
        ax.set_title(_("Reports per day"))
        ax.legend(frameon=False, fontsize=7.5, ncol=3, loc="lower right",
                  bbox_to_anchor=(1.0, 1.0))
        ax.grid(axis="y", color="#eef2f7")

        ax = fig.add_axes((0.08, 0.07, 0.8, 0.2))
        months = [m["month"].strftime("%y-%m") for m in trend]
        ax.bar(months, [m["reported"] for m in trend], color=[
            ACCENT if i == len(trend) - 1 else ACCENT2 for i in range(len(trend))])
        ax.set_title(_("Reports per month, and closure rate"))
        ax.tick_params(axis="x", labelsize=7.5)
        ax.grid(axis="y", color="#eef2f7")
        twin = ax.twinx()
        twin.plot(months, [m["closure_rate"] for m in trend], color=RED, marker="o",
                  markersize=3, linewidth=1.2)
        twin.set_ylim(0, 105)
        twin.set_ylabel(_("Closure rate %"), color=RED, fontsize=8)
        twin.spines["right"].set_visible(True)
        twin.tick_params(axis="y", colors=RED, labelsize=7.5)
        pdf.savefig(fig)

        # --- page 2: types, sources, sub-areas ---------------------------------------------
        fig = Figure(figsize=A4)
        _header(fig, title, generated, 2, pages)
        majors = data["categories"][:10]
        ax = fig.add_axes((0.3, 0.62, 0.62, 0.27))
        names = [m["name"] for m in majors][::-1]
        ax.barh(names, [m["reported"] for m in majors][::-1], color=ACCENT2)
        ax.barh(names, [m["closed"] for m in majors][::-1], color=ACCENT, height=0.4)
        for i, m in enumerate(majors[::-1]):
            ax.text(m["reported"], i, f"  {m['reported']} · {_pct(m['closure_rate'])}",
                    va="center", fontsize=7.5, color=MUTED)
        ax.set_title(_("Reports by major category (closed in dark blue)"), x=-0.4)
        ax.grid(axis="x", color="#eef2f7")
        ax.margins(x=0.25)

        sources = [s for s in data["sources"] if s["reported"]]
        ax = fig.add_axes((0.04, 0.33, 0.44, 0.24))
        if sources:
            palette = ["#1d4ed8", "#3b82f6", "#60a5fa", "#93c5fd", "#f59e0b", "#fb923c",
                       "#a78bfa", "#94a3b8"]
            ax.pie([s["reported"] for s in sources], colors=palette[:len(sources)],
                   startangle=90, counterclock=False,
                   wedgeprops={"width": 0.42, "edgecolor": "white"})
            ax.legend([f"{s['name']}  {s['reported']} ({_pct(s['share'])})" for s in sources],
                      loc="center left", bbox_to_anchor=(0.98, 0.5), frameon=False,
                      fontsize=7.5)
        else:
            ax.axis("off")
        ax.set_title(_("Reports by source"), x=0.0)

        ax = fig.add_axes((0.06, 0.06, 0.88, 0.22))
        areas = data["areas"]
        rows = [[a["name"], f"{a['reported']:,}", f"{a['closed']:,}", _pct(a["closure_rate"]),
                 _pct(a["on_time_rate"]), _pct(a["satisfaction_rate"]), f"{a['overdue_open']}"]
                for a in sorted(areas["rows"], key=lambda a: -a["reported"])[:10]]
        _table(ax, [areas.get("level_label") or _("Region"), _("Reports"), _("Closed"),
                    _("Closure rate"), _("On-time rate"), _("Satisfaction"), _("Overdue now")],
               rows, [0.27, 0.1, 0.1, 0.13, 0.13, 0.13, 0.14], font_size=8)
        ax.set_title(_("By sub-area (the 10 with most reports)") if rows else _("By sub-area"),
                     pad=6)
        pdf.savefig(fig)

        # --- page 3: departments and the month's warnings ----------------------------------
        fig = Figure(figsize=A4)
        _header(fig, title, generated, 3, pages)
        ax = fig.add_axes((0.06, 0.52, 0.88, 0.38))
        deps = [d for d in data["departments"] if d["code"]][:14]
        rows = [[d["name"], f"{d['reported']:,}", f"{d['closed']:,}", _pct(d["closure_rate"]),
                 _pct(d["on_time_rate"]), _pct(d["satisfaction_rate"]), f"{d['overdue_open']}"]
                for d in deps]
        _table(ax, [_("Department"), _("Cases"), _("Closed"), _("Closure rate"), _("On-time rate"),
                    _("Satisfaction"), _("Overdue now")], rows,
               [0.27, 0.1, 0.1, 0.13, 0.13, 0.13, 0.14], font_size=8)
        ax.set_title(_("Departments (the unit holding each case)"), pad=6)

        ax = fig.add_axes((0.06, 0.06, 0.88, 0.4))
        raised = _month_warnings(user, area, date_from, date_to)
        kinds = dict(WarningKind.choices)
        rows = [[str(kinds.get(w.kind, w.kind)), w.area.name,
                 w.category.name if w.category_id else "—",
                 f"{w.window_start:%m-%d}–{w.window_end:%m-%d}", str(w.count),
                 _("open") if w.resolved_at is None else _("resolved")] for w in raised[:20]]
        _table(ax, [_("Warning"), _("Region"), _("Type"), _("Window"), _("Count"), _("State")],
               rows, [0.2, 0.26, 0.2, 0.14, 0.08, 0.12], font_size=8, numeric_from=4)
        ax.set_title(_("Early warnings raised in the month (%(n)s)") % {"n": len(raised)},
                     pad=6)
        pdf.savefig(fig)
    return out.getvalue()


def _month_warnings(user, area: Area, date_from: dt.date, date_to: dt.date) -> list:
    start = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min))
    rows = EarlyWarning.objects.visible_to(user) if user is not None else \
        EarlyWarning.objects.all()
    return list(rows.filter(area__prefix__startswith=area.prefix, created_at__gte=start,
                            created_at__lt=end).select_related("area", "category")
                .order_by("-score", "-created_at"))
