"""How a package declares who may reach each of its routes, for the authorisation matrix test.

Each package has `tests/authz/rules_<package>.py` with:

    RULES: dict[tuple[str, str], Rule]   # (method, path template exactly as routed) -> who passes authorisation
    def world(session, users) -> dict[str, str]   # optional: values for path parameters, e.g. {"startup_id": ...}

`users` maps each identity name (a role value) to a user holding only that role; the founder user is a member of
every startup the world creates for founders. The matrix test requests every route of the app as anonymous and as
each role: an identity outside `allowed` must get 401/403 (or, for pages, a redirect to the log-in page; or 404
where the rule says objects are hidden), one inside must get neither.
"""

from __future__ import annotations

from dataclasses import dataclass

ANONYMOUS = "anonymous"
ROLES = ("founder", "program_manager", "mentor", "investor", "finance", "admin")


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    # Denied identities may get 404 instead of 403 when the object is scoped away from them.
    hidden_as_404: bool = False


def only(*roles: str, hidden_as_404: bool = False) -> Rule:
    """These roles (admins always pass)."""
    return Rule(frozenset({*roles, "admin"}), hidden_as_404)


PUBLIC = Rule(frozenset({ANONYMOUS, *ROLES}))
SIGNED_IN = Rule(frozenset(ROLES))
ANONYMOUS_ONLY_OK = PUBLIC  # pages such as /login answer everyone (signed-in users are redirected onward)
