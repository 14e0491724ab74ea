"""Finance reports: accounts-receivable aging and revenue, with server-side SVG charts (pygal)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pygal
from markupsafe import Markup
from sqlmodel import Session

from billing import repository as repo
from billing.schemas import AgingBucket, AgingReport
from billing.service import site_today
from facilities.models import Site
from incubator.money import to_major

BUCKETS = ("current", "1-30", "31-60", "61-90", "over 90")


def bucket_of(days_late: int) -> str:
    if days_late <= 0:
        return "current"
    if days_late <= 30:
        return "1-30"
    if days_late <= 60:
        return "31-60"
    if days_late <= 90:
        return "61-90"
    return "over 90"


def aging(session: Session, *, site: Site, as_of: date | None = None) -> AgingReport:
    today = as_of or site_today(site)
    amounts: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for invoice, late in repo.aging_rows(session, site.id, today):
        b = bucket_of(late)
        amounts[b] += invoice.amount_due_minor
        counts[b] += 1
    return AgingReport(
        site_id=site.id,
        currency=site.currency,
        as_of=today,
        buckets=[AgingBucket(bucket=b, amount_minor=amounts[b], invoices=counts[b]) for b in BUCKETS],
    )


def _style() -> pygal.style.Style:
    return pygal.style.Style(background="transparent", plot_background="transparent", font_family="sans-serif")


def aging_chart(report: AgingReport) -> Markup:
    chart = pygal.Bar(
        js=[], disable_xml_declaration=True, show_legend=False, height=260, style=_style(), title="AR aging"
    )
    chart.x_labels = [b.bucket for b in report.buckets]
    chart.add(report.currency, [float(to_major(b.amount_minor, report.currency)) for b in report.buckets])
    return Markup(chart.render(is_unicode=True))  # noqa: S704 - pygal's own SVG, values are numbers and fixed labels


def revenue(session: Session, site: Site | None = None) -> dict[tuple[str, str], dict[str, int]]:
    """{(period YYYY-MM, currency): {category: net}}."""
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _site_id, period, currency, category, net in repo.revenue_rows(session, site.id if site else None):
        out[(f"{period:%Y-%m}", currency)][category] += net
    return out


def revenue_chart(data: dict[tuple[str, str], dict[str, int]]) -> Markup:
    chart = pygal.StackedBar(js=[], disable_xml_declaration=True, height=300, style=_style(), title="Revenue (net)")
    keys = sorted(data)
    chart.x_labels = [f"{p} {c}" for p, c in keys]
    categories = sorted({cat for v in data.values() for cat in v})
    for cat in categories:
        chart.add(cat, [float(to_major(data[k].get(cat, 0), k[1])) for k in keys])
    return Markup(chart.render(is_unicode=True))  # noqa: S704
