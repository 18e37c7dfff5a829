"""Demo users for every role (see app/demo.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.auth.models import Role, User

_FIRST = ("Anna", "Lukas", "Marie", "Jonas", "Sophie", "Felix", "Lea", "Maximilian", "Hannah",
          "Paul", "Emma", "Leon", "Mia", "Elias", "Lena", "Noah", "Laura", "Ben", "Julia", "Tim")
_LAST = ("Müller", "Schmidt", "Huber", "Wagner", "Bauer", "Fischer", "Weber", "Mayer",
         "Hofmann", "Schneider", "Becker", "Koch", "Richter", "Wolf", "Schäfer", "Maier")


def _person(ctx: Any) -> str:
    return f"{ctx.rng.choice(_FIRST)} {ctx.rng.choice(_LAST)}"


def seed_users(session: Session, ctx: Any) -> dict[str, int]:
    users: list[User] = []

    def add(email: str, role: Role, name: str, customer_id: int | None = None) -> User:
        user = User(email=email, full_name=name, role=role, customer_id=customer_id,
                    password_hash=ctx.password_hash)
        users.append(user)
        return user

    add("admin@fieldops.example", Role.admin, "Ada Admin")
    for n in range(1, ctx.size.dispatchers + 1):
        add(f"dispatcher{n}@fieldops.example", Role.dispatcher, _person(ctx))
    for n in range(1, ctx.size.warehouses + 1):
        add(f"warehouse{n}@fieldops.example", Role.warehouse, _person(ctx))
    ctx.made["technician_users"] = [
        add(f"tech{n}@fieldops.example", Role.technician, _person(ctx))
        for n in range(1, ctx.size.technicians + 1)
    ]
    for n, customer in enumerate(ctx.made.get("customers", []), start=1):
        add(f"customer{n}@fieldops.example", Role.customer, customer.contact_name,
            customer_id=customer.id)
    session.add_all(users)
    return {"users": len(users)}
