"""Who may open the admin pages, and for which organization."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, url_for
from flask_login import current_user, login_required

from core import access
from core.models import Organization, UserRole
from helpline import auth

ADMIN = UserRole.ADMIN.value


def admin_required(view):
    """Signed-in admins only, working on an organization (a regional admin's choice)."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.has_role(ADMIN):
            abort(403)
        if access.current_org() is None:
            if current_user.is_regional:  # no school yet: the home page offers to add one
                return redirect(url_for("admin.home"))
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def regional_required(view):
    """Only a regional admin (not bound to one school) may add schools."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_regional:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def org() -> Organization:
    found = access.current_org()
    if found is None:
        abort(404)
    return found


def choose(organization: Organization) -> None:
    """Work in this organization from now on (a regional admin who has just added it)."""
    auth.remember_organization(organization)


def who() -> dict:
    return access.actor()
