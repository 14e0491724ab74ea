"""Who may reach the kernel's routes: accounts, tokens, users and invitations, audit, operations, API docs."""

from __future__ import annotations

from sqlmodel import Session

from incubator import service as accounts
from incubator.models import User
from tests.authz.rule import PUBLIC, SIGNED_IN, Rule, only

ADMIN = only()

RULES: dict[tuple[str, str], Rule] = {
    # Operations and API documentation.
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    # API: authentication and the signed-in user.
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/api/v1/me/tokens"): SIGNED_IN,
    ("POST", "/api/v1/me/tokens"): SIGNED_IN,
    ("DELETE", "/api/v1/me/tokens/{token_id}"): SIGNED_IN,
    ("POST", "/api/v1/password-resets"): PUBLIC,
    ("POST", "/api/v1/password-resets/confirm"): PUBLIC,
    ("POST", "/api/v1/invitations/accept"): PUBLIC,
    # API: administration.
    ("GET", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/users/{user_id}"): ADMIN,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN,
    ("GET", "/api/v1/invitations"): ADMIN,
    ("POST", "/api/v1/invitations"): ADMIN,
    ("GET", "/api/v1/audit-events"): ADMIN,
    # Pages: public ones.
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/forgot-password"): PUBLIC,
    ("POST", "/forgot-password"): PUBLIC,
    ("GET", "/reset-password/{token}"): PUBLIC,
    ("POST", "/reset-password/{token}"): PUBLIC,
    ("GET", "/invitations/{token}"): PUBLIC,
    ("POST", "/invitations/{token}"): PUBLIC,
    # Pages: the signed-in user's account.
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account/tokens"): SIGNED_IN,
    ("POST", "/account/tokens/{token_id}/revoke"): SIGNED_IN,
    # Pages: administration.
    ("GET", "/admin/users"): ADMIN,
    ("GET", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}"): ADMIN,
    ("GET", "/admin/invitations/new"): ADMIN,
    ("POST", "/admin/invitations"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
}


def world(session: Session, users: dict[str, User]) -> dict[str, str]:
    founder = users["founder"]
    api_token, _ = accounts.create_personal_token(session, user=founder, name="matrix", expires_in_days=None)
    return {
        "user_id": str(founder.id),
        "token_id": str(api_token.id),
        # Unknown one-time links: the pages answer 404 to everyone, which is neither 401 nor 403.
        "token": "matrix-unknown-token",
    }
