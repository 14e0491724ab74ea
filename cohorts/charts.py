"""Server-rendered SVG charts (pygal, its JavaScript disabled) for admissions."""

from __future__ import annotations

import re

import pygal
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#2f6f4e", "#3c8c63", "#4fa877", "#7cc39a", "#a8dcbc"),
    font_family="system-ui, sans-serif",
)


def funnel_svg(counts: dict[str, int], *, title: str) -> str:
    """A horizontal bar funnel: one bar per stage, widest first."""
    chart = pygal.HorizontalBar(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        show_legend=False,
        height=260,
        width=520,
        title=title,
        print_values=True,
        explicit_size=False,
    )
    stages = list(counts.items())
    chart.x_labels = [name for name, _ in reversed(stages)]
    chart.add("Applications", [n for _, n in reversed(stages)])
    svg = str(chart.render(is_unicode=True))
    # pygal still embeds its configuration as an inline script even without its JS; the chart needs none.
    return _SCRIPT.sub("", svg)
