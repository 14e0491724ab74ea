"""Builders for billing tests: sites, tax rates and charges made directly (the facilities contract)."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from facilities.models import Charge, ChargeCategory, Site, TaxRate
from startups.models import Startup

_seq = itertools.count(1)


def make_site(
    session: Session,
    *,
    code: str | None = None,
    currency: str = "GBP",
    timezone: str = "Europe/London",
    tax_rate: Decimal | None = Decimal("0.20"),
    tax_from: date = date(2020, 1, 1),
    name: str | None = None,
) -> Site:
    n = next(_seq)
    site = Site(
        name=name or f"Site {n}",
        code=code or f"S{n}{uuid.uuid4().hex[:4].upper()}",
        currency=currency,
        timezone=timezone,
        address="1 Lab Lane",
        legal_name="Incubator Labs Ltd",
        legal_address="1 Lab Lane, London EC1 1AA",
        tax_id="GB123456789",
        bank_details="Sort code 00-00-00, account 12345678",
    )
    session.add(site)
    session.flush()
    if tax_rate is not None:
        session.add(TaxRate(site_id=site.id, name="VAT", rate=tax_rate, effective_date=tax_from))
    session.commit()
    return site


def make_tax_rate(session: Session, *, site: Site, rate: Decimal, effective: date, name: str = "VAT") -> TaxRate:
    tr = TaxRate(site_id=site.id, name=name, rate=rate, effective_date=effective)
    session.add(tr)
    session.commit()
    return tr


def make_charge(
    session: Session,
    *,
    site: Site,
    startup: Startup,
    amount_minor: int,
    service_date: date,
    category: ChargeCategory = ChargeCategory.booking,
    description: str | None = None,
    discount_rate: Decimal = Decimal(0),
    quantity: Decimal = Decimal(1),
    source_ref: str | None = None,
    commit: bool = True,
) -> Charge:
    n = next(_seq)
    charge = Charge(
        site_id=site.id,
        startup_id=startup.id,
        category=category,
        description=description or f"{category.label} {n}",
        source_type="test",
        source_ref=source_ref or f"test-{n}-{uuid.uuid4().hex[:8]}",
        service_date=service_date,
        quantity=quantity,
        unit_amount_minor=amount_minor,
        amount_minor=amount_minor,
        currency=site.currency,
        discount_rate=discount_rate,
    )
    session.add(charge)
    if commit:
        session.commit()
    else:
        session.flush()
    return charge
