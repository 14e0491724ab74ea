"""The demo log-ins (one per role, password `demo-password`), so the page benchmark can sign in as each."""

from __future__ import annotations

import uuid

from bench.generators import Context, register
from incubator.demo import DEMO_USERS
from incubator.models import User, UserRole


@register("demo users", order=10, estimate=lambda _n: 2 * len(DEMO_USERS))
def demo_users(ctx: Context) -> None:
    users: dict[str, uuid.UUID] = {}
    user_rows = []
    role_rows = []
    for email, full_name, roles in DEMO_USERS:
        user_id = uuid.uuid4()
        users[email] = user_id
        user_rows.append(
            {
                "id": user_id,
                "email": email,
                "full_name": full_name,
                "password_hash": ctx.password_hash,
                "is_active": True,
                "locale": "en",
                "created_at": ctx.now,
                "last_login_at": None,
            }
        )
        role_rows.extend({"user_id": user_id, "role": role, "granted_at": ctx.now} for role in roles)
    ctx.insert(User, user_rows)
    ctx.insert(UserRole, role_rows)
    ctx.shared["demo_users"] = users
