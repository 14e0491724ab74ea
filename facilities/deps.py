"""Load-or-404 and permission dependencies of the facilities package."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from facilities.models import Booking, Plan, Resource, Service, ServiceOrder, Site, Space
from facilities.repository import (
    BookingRepository,
    OrderRepository,
    PlanRepository,
    ResourceRepository,
    ServiceRepository,
    SiteRepository,
    SpaceRepository,
)
from incubator.deps import ApiUser, PageUser, SessionDep, api_roles, page_roles
from incubator.errors import NotFound
from incubator.models import Role, User

# Finance prices and runs the facilities; programme staff oversee use and record training; founders book.
FinanceApi = Annotated[User, Depends(api_roles(Role.finance))]
FinancePage = Annotated[User, Depends(page_roles(Role.finance))]
StaffApi = Annotated[User, Depends(api_roles(Role.finance, Role.program_manager))]
StaffPage = Annotated[User, Depends(page_roles(Role.finance, Role.program_manager))]
BookerApi = Annotated[User, Depends(api_roles(Role.founder, Role.finance, Role.program_manager))]
BookerPage = Annotated[User, Depends(page_roles(Role.founder, Role.finance, Role.program_manager))]
MoneyApi = Annotated[User, Depends(api_roles(Role.founder, Role.finance))]
MoneyPage = Annotated[User, Depends(page_roles(Role.founder, Role.finance))]


def _site(site_id: uuid.UUID, session: SessionDep) -> Site:
    return SiteRepository(session).get_or_404(site_id)


def _resource(resource_id: uuid.UUID, session: SessionDep) -> Resource:
    return ResourceRepository(session).get_or_404(resource_id)


def _space(space_id: uuid.UUID, session: SessionDep) -> Space:
    return SpaceRepository(session).get_or_404(space_id)


def _service(service_id: uuid.UUID, session: SessionDep) -> Service:
    return ServiceRepository(session).get_or_404(service_id)


def _plan(plan_id: uuid.UUID, session: SessionDep) -> Plan:
    return PlanRepository(session).get_or_404(plan_id)


def _booking(session: SessionDep, user: User, booking_id: uuid.UUID) -> Booking:
    booking = BookingRepository(session).readable_by(user, booking_id)
    if booking is None:
        raise NotFound("No booking with that id, or it is not one of yours.")
    return booking


def _order(session: SessionDep, user: User, order_id: uuid.UUID) -> ServiceOrder:
    order = OrderRepository(session).readable_by(user, order_id)
    if order is None:
        raise NotFound("No service order with that id, or it is not one of yours.")
    return order


def booking_api(booking_id: uuid.UUID, session: SessionDep, user: ApiUser) -> Booking:
    return _booking(session, user, booking_id)


def booking_page(booking_id: uuid.UUID, session: SessionDep, user: PageUser) -> Booking:
    return _booking(session, user, booking_id)


def order_api(order_id: uuid.UUID, session: SessionDep, user: ApiUser) -> ServiceOrder:
    return _order(session, user, order_id)


def order_page(order_id: uuid.UUID, session: SessionDep, user: PageUser) -> ServiceOrder:
    return _order(session, user, order_id)


SiteDep = Annotated[Site, Depends(_site)]
ResourceDep = Annotated[Resource, Depends(_resource)]
SpaceDep = Annotated[Space, Depends(_space)]
ServiceDep = Annotated[Service, Depends(_service)]
PlanDep = Annotated[Plan, Depends(_plan)]
ApiBooking = Annotated[Booking, Depends(booking_api)]
PageBooking = Annotated[Booking, Depends(booking_page)]
ApiOrder = Annotated[ServiceOrder, Depends(order_api)]
PageOrder = Annotated[ServiceOrder, Depends(order_page)]
