"""Domain errors of the facilities package, each with the HTTP status it answers with."""

from __future__ import annotations

from incubator.errors import AppError, Conflict, PermissionDenied


class BookingConflict(Conflict):
    """The slot (or its cleaning buffer) overlaps a confirmed booking or a maintenance block."""

    title = "That slot is taken"
    type_slug = "booking-conflict"


class BookingNotAllowed(AppError):
    """The booking breaks one of the resource's rules (length, increment, window, past)."""

    status = 400
    title = "Booking not allowed"
    type_slug = "booking-rule"


class QualificationMissing(PermissionDenied):
    """Training on the resource or biosafety clearance for its level is missing or expired."""

    title = "Qualification missing"
    type_slug = "qualification-missing"


class BookingBlocked(AppError):
    """A registered guard (for example overdue invoices, from billing) stops new bookings for the startup."""

    status = 409
    title = "Bookings are on hold"
    type_slug = "booking-blocked"


class LeaseConflict(Conflict):
    title = "The space is already leased"
    type_slug = "lease-conflict"


class WrongSite(AppError):
    status = 400
    title = "Wrong site"
    type_slug = "wrong-site"
