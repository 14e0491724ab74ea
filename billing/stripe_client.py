"""The one module that imports `stripe`. Every call carries a deterministic idempotency key chosen by the caller.

Stripe is the payment rail, not the system of record: our database owns invoices, numbers and amounts. Tests point
the SDK at localstripe through `INCUBATOR_STRIPE_API_BASE`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import stripe

from billing.errors import PaymentProviderError, StripeNotConfigured, WebhookSignatureInvalid
from incubator.config import get_settings

# Observers of every outgoing request (method, url, headers): lets a test see the Idempotency-Key we send, since
# localstripe ignores it.
RequestListener = Callable[[str, str, Mapping[str, str]], None]
_listeners: list[RequestListener] = []


def add_request_listener(listener: RequestListener) -> None:
    _listeners.append(listener)


def remove_request_listener(listener: RequestListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


class _ObservedHTTPClient(stripe.HTTPXClient):  # type: ignore[misc]
    def request(self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None) -> Any:  # type: ignore[override]
        for listener in list(_listeners):
            listener(method, url, dict(headers))
        return super().request(method, url, headers, post_data)


@dataclass(frozen=True)
class IntentResult:
    id: str
    status: str
    client_secret: str | None
    error: str | None = None


def enabled() -> bool:
    return get_settings().stripe_enabled


def _client() -> Any:
    settings = get_settings()
    if not settings.stripe_enabled:
        raise StripeNotConfigured("Card payments are not set up here; pay by bank transfer.")
    base = settings.stripe_api_base.rstrip("/") if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses={"api": base} if base else None,
        http_client=_ObservedHTTPClient(allow_sync_methods=True),
        max_network_retries=0,
    )


def create_customer(*, name: str, email: str | None, startup_id: str, idempotency_key: str) -> str:
    try:
        customer = _client().v1.customers.create(
            params={"name": name, "email": email or "", "metadata": {"startup_id": startup_id}},
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe refused to create the customer: {exc.user_message or exc}") from exc
    return str(customer.id)


def create_payment_method_from_card(number: str, exp_month: int, exp_year: int, cvc: str) -> str:
    """Only for tests and scripts against localstripe: real card numbers never reach our server (Stripe.js)."""
    pm = _client().v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc},  # type: ignore[typeddict-item]
        }
    )
    return str(pm.id)


def create_payment_intent(
    *,
    amount_minor: int,
    currency: str,
    customer_id: str,
    payment_method_id: str | None,
    invoice_id: str,
    idempotency_key: str,
) -> IntentResult:
    params: dict[str, Any] = {
        "amount": amount_minor,
        "currency": currency.lower(),
        "customer": customer_id,
        "payment_method_types": ["card"],
        "metadata": {"invoice_id": invoice_id},
    }
    if payment_method_id:
        params["payment_method"] = payment_method_id
        params["confirm"] = True
    try:
        intent = _client().v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
    except stripe.CardError as exc:
        intent_obj = getattr(exc.error, "payment_intent", None) if exc.error else None
        intent_id = getattr(intent_obj, "id", None) or ""
        return IntentResult(intent_id, "requires_payment_method", None, exc.user_message or str(exc))
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe refused the payment: {exc.user_message or exc}") from exc
    return IntentResult(str(intent.id), str(intent.status), getattr(intent, "client_secret", None))


def retrieve_payment_intent(intent_id: str) -> dict[str, Any]:
    intent = _client().v1.payment_intents.retrieve(intent_id)
    return dict(intent.to_dict())


def refund(payment_intent_id: str, *, amount_minor: int | None, idempotency_key: str) -> str:
    params: dict[str, Any] = {"payment_intent": payment_intent_id}
    if amount_minor is not None:
        params["amount"] = amount_minor
    try:
        result = _client().v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe refused the refund: {exc.user_message or exc}") from exc
    return str(result.id)


def verify_webhook(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event, if `signature` proves Stripe (or localstripe) sent exactly these bytes with our secret."""
    secret = get_settings().stripe_webhook_secret
    if not secret:
        raise StripeNotConfigured("Stripe webhooks are not configured")
    if not signature:
        raise WebhookSignatureInvalid("The Stripe-Signature header is missing.")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise WebhookSignatureInvalid(f"The event's signature does not verify: {exc}") from exc
    return dict(event.to_dict())
