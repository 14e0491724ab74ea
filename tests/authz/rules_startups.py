"""Who may reach the routes of startups (DESIGN.md section 4).

Founders reach their own startups; programme managers and finance read all of them; only founders of the startup
and programme managers edit it. A startup a user may not read answers 404, so its existence is not revealed.
"""

from __future__ import annotations

from sqlmodel import Session

from incubator.models import User
from tests.authz.rule import PUBLIC, SIGNED_IN, Rule, only
from tests.support.factories import make_startup

READ = only("founder", "program_manager", "finance", hidden_as_404=True)
EDIT = only("founder", "program_manager", hidden_as_404=True)

RULES: dict[tuple[str, str], Rule] = {
    ("POST", "/api/v1/signup"): PUBLIC,
    ("GET", "/api/v1/startups"): SIGNED_IN,
    ("POST", "/api/v1/startups"): only("founder", "program_manager"),
    ("GET", "/api/v1/startups/{startup_id}"): READ,
    ("PATCH", "/api/v1/startups/{startup_id}"): EDIT,
    ("GET", "/api/v1/startups/{startup_id}/trl-history"): READ,
    ("GET", "/api/v1/startups/{startup_id}/members"): READ,
    ("POST", "/api/v1/startups/{startup_id}/members"): EDIT,
    ("DELETE", "/api/v1/startups/{startup_id}/members/{user_id}"): EDIT,
    ("GET", "/signup"): PUBLIC,
    ("POST", "/signup"): PUBLIC,
    ("GET", "/startups"): SIGNED_IN,
    ("GET", "/startups/{startup_id}"): READ,
    ("GET", "/startups/{startup_id}/edit"): EDIT,
    ("POST", "/startups/{startup_id}/edit"): EDIT,
    ("POST", "/startups/{startup_id}/members"): EDIT,
    ("POST", "/startups/{startup_id}/members/{user_id}/remove"): EDIT,
}


def world(session: Session, users: dict[str, User]) -> dict[str, str]:
    founder = users["founder"]
    startup = make_startup(session, name="Matrix Biofoundry", founder=founder)
    # The team member removed by the remove routes is the founder: always refused (409, the last founder), so the
    # world stays the same for every identity.
    return {"startup_id": str(startup.id), "user_id": str(founder.id)}
