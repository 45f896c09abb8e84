"""Who may open what, declared once: each endpoint names the capability it exercises (``@requires`` on our own
endpoints, ``FLASK_ADMIN_ENDPOINTS`` for Flask-Admin's), each view which permissions each capability needs
(``permissions``). A request is checked before the view runs; an endpoint or capability that is not declared is
refused to everyone (default deny), so a new endpoint cannot slip through as "read".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from flask import Blueprint, abort, redirect, request, url_for
from flask_admin import BaseView
from flask_babel import gettext
from flask_security import current_user
from werkzeug.wrappers import Response

from admin_app import permissions as perm

View = TypeVar("View", bound=Callable[..., Any])

# The capability of whatever action or operation the request posts (action_view, moderate_view).
POSTED = "posted"

# Flask-Admin's own endpoints -> the capabilities any one of which opens them.
FLASK_ADMIN_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "index": ("read",),
    "index_view": ("read",),
    "details_view": ("read",),
    "create_view": ("create",),
    "edit_view": ("edit",),
    "ajax_update": ("edit",),
    "delete_view": ("delete",),
    "ajax_lookup": ("create", "edit"),  # the lookups feed the create and edit forms, nothing else
    "action_view": (POSTED,),
}


class AnyOf(tuple[str, ...]):
    """Permissions any one of which is enough (a plain tuple needs them all)."""


Needed = str | tuple[str, ...]


def requires(*capabilities: str) -> Callable[[View], View]:
    """Declare the capabilities (any one of them) an exposed endpoint exercises."""

    def declare(view: View) -> View:
        view.capabilities = capabilities  # type: ignore[attr-defined]
        return view

    return declare


def has_permission(permission: str | None) -> bool:
    return bool(
        permission and current_user.is_authenticated and current_user.active and current_user.has_permission(permission)
    )


def users_view() -> str:
    """The users list (its endpoint) the reader may open: the full one with e-mails for holders of personal-data,
    the member list (no e-mails) for everyone else. Every link to a user's page or the list goes through it."""
    return "user" if has_permission(perm.PERSONAL_DATA) else "member"


def holds(needed: Needed | None) -> bool:
    if isinstance(needed, AnyOf):
        return any(has_permission(permission) for permission in needed)
    if isinstance(needed, tuple):
        return bool(needed) and all(has_permission(permission) for permission in needed)
    return has_permission(needed)


def deny() -> Response:
    """Anonymous visitors go to the login page; a signed-in user without the permission gets 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("security.login", next=request.full_path))
    abort(403)


class Secured(BaseView):
    """Mixed into every view of the back office."""

    # capability -> the permission it needs, a tuple of permissions needed together, or AnyOf(...)
    permissions: ClassVar[dict[str, Needed]] = {}

    def allows(self, capability: str) -> bool:
        return holds(self.permissions.get(capability))

    def endpoint_capabilities(self, name: str) -> tuple[str, ...]:
        declared = getattr(getattr(type(self), name, None), "capabilities", None)
        return tuple(declared) if declared else FLASK_ADMIN_ENDPOINTS.get(name, ())

    def posted_capability(self, endpoint: str) -> str | None:
        """The capability of the action or operation a request to ``endpoint`` posts; None when it names none of
        this view's."""
        return None

    def allows_endpoint(self, name: str) -> bool:
        capabilities = [
            self.posted_capability(name) if capability == POSTED else capability
            for capability in self.endpoint_capabilities(name)
        ]
        return any(capability and self.allows(capability) for capability in capabilities)

    def is_accessible(self) -> bool:
        return self.allows("read")

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        return deny()

    def create_blueprint(self, admin: Any) -> Blueprint:
        blueprint = super().create_blueprint(admin)
        blueprint.before_request(self.refuse_what_is_not_allowed)
        return blueprint

    def refuse_what_is_not_allowed(self) -> Response | None:
        name = (request.endpoint or "").rpartition(".")[2]
        if name == "static" or self.allows_endpoint(name):
            return None
        if POSTED in self.endpoint_capabilities(name) and self.posted_capability(name) is None and self.allows("read"):
            # A reader of this list posting an action or operation it does not have: a malformed request.
            abort(400, gettext("This list has no such action."))
        return deny()
