"""Demo users, one per role, all with the password `demo-password`."""

from __future__ import annotations

from sqlmodel import Session

from incubator import service
from incubator.models import Role
from incubator.repository import UserRepository

DEMO_PASSWORD = "demo-password"
DEMO_USERS = [
    ("admin@demo.example.org", "Ada Admin", [Role.admin]),
    ("pm@demo.example.org", "Priya Menon", [Role.program_manager]),
    ("founder@demo.example.org", "Felix Okafor", [Role.founder]),
    ("mentor@demo.example.org", "Maria Lindqvist", [Role.mentor]),
    ("investor@demo.example.org", "Ivan Castellanos", [Role.investor]),
    ("finance@demo.example.org", "Fiona Zhang", [Role.finance]),
]


def load(session: Session) -> None:
    users = UserRepository(session)
    for email, name, roles in DEMO_USERS:
        if users.by_email(email) is None:
            service.create_user(session, email=email, full_name=name, roles=roles, password=DEMO_PASSWORD)
