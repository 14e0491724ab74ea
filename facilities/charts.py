"""Server-side SVG charts for the facilities reports (pygal, no JavaScript)."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import pygal
from pygal.style import Style

if TYPE_CHECKING:
    from facilities.service import OccupancyRow, UtilisationRow

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#17252a",
    foreground_strong="#17252a",
    foreground_subtle="#526167",
    colors=("#0b5d56", "#1d4f91", "#8a4b00", "#b42318", "#526167", "#0e6b3d"),
    font_family="system-ui, sans-serif",
)


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _render(chart: Any) -> str:
    # With js=[] pygal loads no script, but still writes an inline config block for it: drop that too.
    return _SCRIPT.sub("", str(chart.render(is_unicode=True, disable_xml_declaration=True)))


def _base(kind: Any, title: str, **options: Any) -> Any:
    return kind(
        title=title,
        style=STYLE,
        js=[],
        height=320,
        width=800,
        explicit_size=False,
        legend_at_bottom=True,
        print_values=False,
        **options,
    )


def occupancy_chart(rows: list[OccupancyRow]) -> str:
    chart = _base(pygal.HorizontalBar, "Space leased (% of space-days)", range=(0, 100))
    by_site: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for row in rows:
        by_site[row.site].append((row.kind, round(row.share * 100, 1)))
    kinds = sorted({r.kind for r in rows})
    chart.x_labels = kinds
    for site, values in by_site.items():
        lookup = dict(values)
        chart.add(site, [lookup.get(k) for k in kinds])
    return _render(chart)


def utilisation_chart(rows: list[UtilisationRow]) -> str:
    chart = _base(pygal.HorizontalBar, "Equipment booked (% of bookable hours)", range=(0, 100))
    chart.x_labels = [f"{r.resource} ({r.site})" for r in rows]
    chart.add("Booked", [round(r.share * 100, 1) for r in rows])
    return _render(chart)


def charges_chart(totals: list[tuple[str, str, str, int]]) -> str:
    """One bar per site, split by category as a share of that site's total: sites bill in different currencies,
    so their amounts are not drawn on one scale (the table beside the chart gives them)."""
    chart = _base(pygal.StackedBar, "Charges by category (% of each site's total)", range=(0, 100))
    sites = sorted({f"{s} ({c})" for s, c, _cat, _a in totals})
    chart.x_labels = sites
    site_totals: dict[str, int] = defaultdict(int)
    by_category: dict[str, dict[str, int]] = defaultdict(dict)
    for site, currency, category, amount in totals:
        key = f"{site} ({currency})"
        site_totals[key] += amount
        by_category[category.replace("_", " ").capitalize()][key] = amount
    for category, values in sorted(by_category.items()):
        chart.add(
            category,
            [round(values[s] * 100 / site_totals[s], 1) if s in values and site_totals[s] else None for s in sites],
        )
    return _render(chart)
