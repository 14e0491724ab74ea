"""Accounting export: one CSV per site and month with invoices, their lines, credit notes and payments, and control
totals an accountant can tie out. Each exported document is marked with its batch; exporting a document again
needs an explicit override (so nothing is booked twice by accident)."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlmodel import Session

from billing import repository as repo
from billing.errors import ExportAlreadyDone
from billing.models import CreditNote, ExportBatch, Invoice, Payment
from billing.service import period_bounds
from facilities.models import Site
from incubator import audit
from incubator.models import User
from incubator.money import exponent, to_major

HEADER = [
    "record",
    "document",
    "date",
    "startup_id",
    "customer",
    "description",
    "net",
    "tax",
    "total",
    "currency",
    "status",
    "reference",
]


def export_period(session: Session, *, site: Site, period_start: date, override: bool, actor: User | None) -> bytes:
    start, end = period_bounds(period_start)
    invoices, notes, payments = repo.documents_for_export(session, site.id, start, end)
    documents: list[Invoice | CreditNote | Payment] = [*invoices, *notes, *payments]
    already = [d for d in documents if d.export_batch_id is not None]
    if already and not override:
        raise ExportAlreadyDone(
            f"{len(already)} document(s) of {start:%Y-%m} were exported before. Export again with the override "
            "only if the accountant asked for a re-issue."
        )
    lines = repo.lines_for_invoices(session, [i.id for i in invoices])
    labels = {i.id: i.number_label for i in invoices}
    cur = site.currency

    places = exponent(cur)

    def amount(minor: int) -> str:
        return f"{to_major(minor, cur):.{places}f}"

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for inv in invoices:
        writer.writerow(
            [
                "invoice",
                inv.number_label,
                inv.issue_date,
                inv.startup_id,
                inv.customer_name,
                "",
                amount(inv.net_minor),
                amount(inv.tax_minor),
                amount(inv.total_minor),
                inv.currency,
                inv.status.value,
                inv.content_hash,
            ]
        )
    for line in lines:
        writer.writerow(
            [
                "invoice_line",
                labels[line.invoice_id],
                line.service_date,
                "",
                "",
                line.description,
                amount(line.net_minor),
                amount(line.tax_minor),
                amount(line.total_minor),
                cur,
                line.category,
                str(line.charge_id or ""),
            ]
        )
    for note in notes:
        writer.writerow(
            [
                "credit_note",
                note.number_label,
                note.issue_date,
                note.startup_id,
                "",
                note.reason,
                amount(-note.net_minor),
                amount(-note.tax_minor),
                amount(-note.total_minor),
                note.currency,
                "issued",
                note.content_hash,
            ]
        )
    for pay in payments:
        writer.writerow(
            [
                "payment",
                labels.get(pay.invoice_id, str(pay.invoice_id)),
                pay.received_date,
                pay.startup_id,
                "",
                pay.method.value,
                "",
                "",
                amount(pay.amount_minor - pay.refunded_minor),
                pay.currency,
                "received",
                pay.reference,
            ]
        )
    totals = {
        "invoices": (
            len(invoices),
            sum(i.net_minor for i in invoices),
            sum(i.tax_minor for i in invoices),
            sum(i.total_minor for i in invoices),
        ),
        "invoice_lines": (
            len(lines),
            sum(x.net_minor for x in lines),
            sum(x.tax_minor for x in lines),
            sum(x.total_minor for x in lines),
        ),
        "credit_notes": (
            len(notes),
            -sum(n.net_minor for n in notes),
            -sum(n.tax_minor for n in notes),
            -sum(n.total_minor for n in notes),
        ),
        "payments": (len(payments), 0, 0, sum(p.amount_minor - p.refunded_minor for p in payments)),
    }
    for name, (count, net, tax, total) in totals.items():
        writer.writerow(
            [
                "control_total",
                name,
                f"{start:%Y-%m}",
                "",
                "",
                f"{count} record(s)",
                amount(net),
                amount(tax),
                amount(total),
                cur,
                "",
                "",
            ]
        )
    batch = ExportBatch(
        site_id=site.id,
        period_start=start,
        override=bool(already),
        documents=len(invoices) + len(notes) + len(payments),
        control_totals={k: list(v) for k, v in totals.items()},
        created_by_id=actor.id if actor else None,
    )
    session.add(batch)
    session.flush()
    for doc in documents:
        doc.export_batch_id = batch.id
        session.add(doc)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="billing.export",
        object_type="site",
        object_id=site.id,
        summary=f"Exported {start:%Y-%m}: {batch.documents} document(s){' (override)' if already else ''}",
    )
    return out.getvalue().encode()
