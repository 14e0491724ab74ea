"""Load-or-404 and permission dependencies of billing."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from billing.models import CreditNote, Invoice
from billing.repository import CreditNoteRepository, InvoiceRepository
from incubator.deps import ApiUser, PageUser, SessionDep, api_roles, page_roles
from incubator.errors import NotFound
from incubator.models import Role, User

FinanceApi = Annotated[User, Depends(api_roles(Role.finance))]
FinancePage = Annotated[User, Depends(page_roles(Role.finance))]


def _invoice(session: SessionDep, user: User, invoice_id: uuid.UUID) -> Invoice:
    invoice = InvoiceRepository(session).readable_by(user, invoice_id)
    if invoice is None:
        raise NotFound("No invoice with that id, or it is not visible to you.")
    return invoice


def readable_invoice_api(invoice_id: uuid.UUID, session: SessionDep, user: ApiUser) -> Invoice:
    return _invoice(session, user, invoice_id)


def readable_invoice_page(invoice_id: uuid.UUID, session: SessionDep, user: PageUser) -> Invoice:
    return _invoice(session, user, invoice_id)


def finance_invoice_api(invoice_id: uuid.UUID, session: SessionDep, user: FinanceApi) -> Invoice:
    return _invoice(session, user, invoice_id)


def finance_invoice_page(invoice_id: uuid.UUID, session: SessionDep, user: FinancePage) -> Invoice:
    return _invoice(session, user, invoice_id)


def readable_credit_note_api(credit_note_id: uuid.UUID, session: SessionDep, user: ApiUser) -> CreditNote:
    note = CreditNoteRepository(session).readable_by(user, credit_note_id)
    if note is None:
        raise NotFound("No credit note with that id, or it is not visible to you.")
    return note


ApiInvoice = Annotated[Invoice, Depends(readable_invoice_api)]
PageInvoice = Annotated[Invoice, Depends(readable_invoice_page)]
FinanceApiInvoice = Annotated[Invoice, Depends(finance_invoice_api)]
FinancePageInvoice = Annotated[Invoice, Depends(finance_invoice_page)]
ApiCreditNote = Annotated[CreditNote, Depends(readable_credit_note_api)]
