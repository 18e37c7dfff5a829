"""Admin pages: users and roles (the service of GET /api/v1/users), read-only for now."""

from __future__ import annotations

from flask import render_template, request

from app.auth import service as auth_service
from app.auth.models import ROLE_VALUES, Role
from app.console.web import bp, requires
from app.extensions import db

LIST_LIMIT = 500


@bp.route("/admin/users")
@requires(Role.admin)
def users() -> str:
    role = request.args.get("role") if request.args.get("role") in ROLE_VALUES else None
    text = request.args.get("q", "").strip() or None
    found = list(db.session.scalars(auth_service.list_users(db.session, role=role, q=text)
                                    .limit(LIST_LIMIT)))
    return render_template("console/users.html", users=found, roles=ROLE_VALUES, role=role,
                           q=text or "")
