"""Who may reach the routes of facilities (DESIGN.md section 4).

Everyone signed in browses the catalogue, the directory and calendars. Founders book and order for their own
startups and see their own bookings, orders, allowance and charges; programme and finance staff oversee bookings
and orders and record training; finance prices the catalogue, signs leases and memberships and runs the charge
step. A booking or order of another startup answers 404, so its existence is not revealed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from facilities import service
from facilities.models import Lease, Membership, Plan, PlanTier, Resource, Service, Site, Space, SpaceKind
from incubator.db import utcnow
from incubator.models import User
from tests.authz.rule import PUBLIC, SIGNED_IN, Rule, only
from tests.support.factories import make_startup

FINANCE = only("finance")
STAFF = only("finance", "program_manager")
BOOKERS = only("founder", "finance", "program_manager")
MONEY = only("founder", "finance")
# Scoped objects: founders of the startup and staff; others get 404.
OWN = only("founder", "finance", "program_manager", hidden_as_404=True)
STAFF_ON_OWN = only("finance", "program_manager", hidden_as_404=True)
FINANCE_ON_OWN = only("finance", hidden_as_404=True)
ACCEPT = only("founder", "finance", hidden_as_404=True)

RULES: dict[tuple[str, str], Rule] = {
    # API: catalogue.
    ("GET", "/api/v1/sites"): SIGNED_IN,
    ("POST", "/api/v1/sites"): FINANCE,
    ("GET", "/api/v1/sites/{site_id}"): SIGNED_IN,
    ("GET", "/api/v1/sites/{site_id}/tax-rates"): SIGNED_IN,
    ("POST", "/api/v1/sites/{site_id}/tax-rates"): FINANCE,
    ("GET", "/api/v1/spaces"): SIGNED_IN,
    ("POST", "/api/v1/spaces"): FINANCE,
    ("GET", "/api/v1/resources"): SIGNED_IN,
    ("POST", "/api/v1/resources"): FINANCE,
    ("GET", "/api/v1/resources/{resource_id}"): SIGNED_IN,
    ("PATCH", "/api/v1/resources/{resource_id}"): FINANCE,
    ("GET", "/api/v1/resources/{resource_id}/availability"): SIGNED_IN,
    ("POST", "/api/v1/resources/{resource_id}/maintenance-blocks"): STAFF,
    ("GET", "/api/v1/services"): SIGNED_IN,
    ("POST", "/api/v1/services"): FINANCE,
    ("GET", "/api/v1/plans"): SIGNED_IN,
    ("POST", "/api/v1/plans"): FINANCE,
    # API: occupancy.
    ("GET", "/api/v1/memberships"): MONEY,
    ("POST", "/api/v1/memberships"): FINANCE,
    ("POST", "/api/v1/memberships/{membership_id}/end"): FINANCE,
    ("GET", "/api/v1/leases"): MONEY,
    ("POST", "/api/v1/leases"): FINANCE,
    ("POST", "/api/v1/leases/{lease_id}/end"): FINANCE,
    ("GET", "/api/v1/trainings"): SIGNED_IN,
    ("POST", "/api/v1/trainings"): STAFF,
    ("POST", "/api/v1/biosafety-clearances"): STAFF,
    # API: bookings, allowance.
    ("GET", "/api/v1/bookings"): BOOKERS,
    ("POST", "/api/v1/bookings"): BOOKERS,
    ("GET", "/api/v1/bookings/{booking_id}"): OWN,
    ("POST", "/api/v1/bookings/{booking_id}/cancel"): OWN,
    ("POST", "/api/v1/bookings/{booking_id}/reprice"): FINANCE_ON_OWN,
    ("GET", "/api/v1/allowance"): MONEY,
    # API: service orders.
    ("GET", "/api/v1/service-orders"): BOOKERS,
    ("POST", "/api/v1/service-orders"): BOOKERS,
    ("GET", "/api/v1/service-orders/{order_id}"): OWN,
    ("POST", "/api/v1/service-orders/{order_id}/quote"): STAFF_ON_OWN,
    ("POST", "/api/v1/service-orders/{order_id}/accept"): ACCEPT,
    ("POST", "/api/v1/service-orders/{order_id}/start"): STAFF_ON_OWN,
    ("POST", "/api/v1/service-orders/{order_id}/deliver"): STAFF_ON_OWN,
    ("POST", "/api/v1/service-orders/{order_id}/cancel"): OWN,
    ("POST", "/api/v1/service-orders/{order_id}/pass-through-costs"): FINANCE_ON_OWN,
    # API: charges, calendar.
    ("GET", "/api/v1/charges"): MONEY,
    ("POST", "/api/v1/charges/generate"): FINANCE,
    ("GET", "/api/v1/facility-reports"): STAFF,
    ("GET", "/api/v1/me/calendar"): SIGNED_IN,
    # The feed's secret token stands in for a log-in (calendar apps cannot log in); a wrong token is a 404.
    ("GET", "/calendar/{feed_token}.ics"): PUBLIC,
    # Pages.
    ("GET", "/facilities"): SIGNED_IN,
    ("GET", "/facilities/resources/{resource_id}"): SIGNED_IN,
    ("POST", "/facilities/resources/{resource_id}/book"): BOOKERS,
    ("GET", "/facilities/mine"): SIGNED_IN,
    ("POST", "/facilities/bookings/{booking_id}/cancel"): OWN,
    ("POST", "/facilities/calendar/rotate"): SIGNED_IN,
    ("GET", "/facilities/services"): SIGNED_IN,
    ("POST", "/facilities/services/{service_id}/order"): BOOKERS,
    ("GET", "/facilities/orders"): STAFF,
    ("POST", "/facilities/orders/{order_id}/quote"): STAFF_ON_OWN,
    ("POST", "/facilities/orders/{order_id}/accept"): ACCEPT,
    ("POST", "/facilities/orders/{order_id}/start"): STAFF_ON_OWN,
    ("POST", "/facilities/orders/{order_id}/deliver"): STAFF_ON_OWN,
    ("POST", "/facilities/orders/{order_id}/cancel"): OWN,
    ("GET", "/facilities/charges"): MONEY,
    ("POST", "/facilities/charges/generate"): FINANCE,
    ("GET", "/facilities/reports"): STAFF,
    ("GET", "/facilities/sites"): FINANCE,
    ("POST", "/facilities/sites"): FINANCE,
    ("GET", "/facilities/sites/{site_id}"): FINANCE,
    ("POST", "/facilities/sites/{site_id}/spaces"): FINANCE,
    ("POST", "/facilities/sites/{site_id}/resources"): FINANCE,
    ("POST", "/facilities/sites/{site_id}/resources/{resource_id}/rate"): FINANCE,
    ("POST", "/facilities/sites/{site_id}/services"): FINANCE,
    ("POST", "/facilities/sites/{site_id}/plans"): FINANCE,
    ("POST", "/facilities/sites/{site_id}/leases"): FINANCE,
    ("POST", "/facilities/sites/{site_id}/memberships"): FINANCE,
    ("POST", "/facilities/sites/{site_id}/maintenance"): FINANCE,
    ("POST", "/facilities/sites/{site_id}/leases/{lease_id}/end"): FINANCE,
    ("POST", "/facilities/sites/{site_id}/memberships/{membership_id}/end"): FINANCE,
    ("GET", "/facilities/bookings"): STAFF,
    ("POST", "/facilities/bookings/{booking_id}/reprice"): FINANCE_ON_OWN,
    ("GET", "/facilities/qualifications"): STAFF,
    ("POST", "/facilities/qualifications/training"): STAFF,
    ("POST", "/facilities/qualifications/clearance"): STAFF,
}


def world(session: Session, users: dict[str, User]) -> dict[str, str]:
    founder = users["founder"]
    startup = make_startup(session, name="Matrix Fermenters", founder=founder)
    site = Site(name="Matrix Lab", code="MTX", currency="GBP", timezone="Europe/London")
    session.add(site)
    session.flush()
    resource = Resource(site_id=site.id, name="Matrix fermenter", category="fermenter", requires_training=False)
    catalogue = Service(site_id=site.id, name="Matrix assay", unit_price_minor=1000)
    session.add_all([resource, catalogue])
    session.flush()
    start = (utcnow() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    booking = service.book(
        session,
        resource=resource,
        startup_id=startup.id,
        user=founder,
        start_at=start,
        end_at=start + timedelta(hours=2),
    )
    order = service.request_order(session, service=catalogue, startup_id=startup.id, user=founder, quantity=Decimal(1))
    space = Space(site_id=site.id, name="Matrix bench", kind=SpaceKind.lab_bench, monthly_price_minor=1000)
    plan = Plan(site_id=site.id, name="Matrix plan", tier=PlanTier.bronze)
    session.add_all([space, plan])
    session.flush()
    lease = Lease(
        startup_id=startup.id, space_id=space.id, site_id=site.id, start_date=start.date(), monthly_price_minor=1000
    )
    membership = Membership(
        startup_id=startup.id, site_id=site.id, plan_id=plan.id, start_date=start.date(), monthly_fee_minor=0
    )
    session.add_all([lease, membership])
    session.flush()
    return {
        "lease_id": str(lease.id),
        "membership_id": str(membership.id),
        "site_id": str(site.id),
        "resource_id": str(resource.id),
        "booking_id": str(booking.id),
        "order_id": str(order.id),
        "service_id": str(catalogue.id),
        "feed_token": service.calendar_token(session, user=founder),
    }
