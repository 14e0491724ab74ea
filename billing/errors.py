"""Domain errors of billing, each with its HTTP status."""

from __future__ import annotations

from incubator.errors import AppError, Conflict, InvalidTransition, NotFound


class InvoiceImmutable(InvalidTransition):
    title = "Invoice is finalised"
    type_slug = "invoice-immutable"


class PeriodClosed(Conflict):
    title = "Period closed"
    type_slug = "period-closed"


class CreditExceedsRemaining(Conflict):
    title = "More than is left to credit"
    type_slug = "credit-exceeds-remaining"


class PaymentNotPossible(InvalidTransition):
    title = "Payment not possible"
    type_slug = "payment-not-possible"


class StripeNotConfigured(Conflict):
    """Card payment is simply not offered where Stripe is not configured (a 409, not a server fault)."""

    title = "Card payments are not configured"
    type_slug = "stripe-not-configured"


class WebhookDisabled(NotFound):
    title = "Stripe webhooks are not configured"
    type_slug = "webhook-disabled"


class WebhookSignatureInvalid(AppError):
    status = 400
    title = "Invalid webhook signature"
    type_slug = "webhook-signature"


class PaymentProviderError(AppError):
    status = 502
    title = "The payment provider refused the request"
    type_slug = "payment-provider"


class ExportAlreadyDone(Conflict):
    title = "Already exported"
    type_slug = "already-exported"
