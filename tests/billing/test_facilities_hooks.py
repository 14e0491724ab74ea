"""Billing fills the registries facilities asks: which charges are invoiced, and who may not book."""

from datetime import date

from sqlmodel import Session

import facilities.service
from billing.runs import run_period
from tests.billing.builders import make_charge, make_site
from tests.support.factories import make_startup


def test_facilities_learns_which_charges_are_on_an_invoice(session: Session) -> None:
    site = make_site(session)
    startup = make_startup(session)
    billed = make_charge(session, site=site, startup=startup, amount_minor=1000, service_date=date(2026, 10, 5))
    later = make_charge(session, site=site, startup=startup, amount_minor=2000, service_date=date(2026, 11, 5))
    assert facilities.service._invoiced(session, [billed.id, later.id]) == set()

    run_period(site_id=site.id, period_start=date(2026, 10, 1))

    assert facilities.service._invoiced(session, [billed.id, later.id]) == {billed.id}
