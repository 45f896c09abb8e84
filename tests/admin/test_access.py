"""The access matrix: every back-office URL the app registers x every role, with the exact answer each gets.

Requests are the endpoint's own: every action of every list (action_view), every operation it confirms
(moderate_view), every AJAX lookup and update. Written out by hand (it is the documented matrix in the README):
a view, endpoint, action, operation or lookup the app registers that is missing here fails the test, so a new
one is covered by default; a refused request must leave the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_app import create_app
from admin_app.admin import background
from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import Job, Rule
from admin_app.services import saved_views
from admin_app.services.audit import Actor
from admin_app.services.moderation import moderate
from admin_app.services.operations import OPERATIONS
from tests.conftest import csrf_token
from tests.factories import CommentFactory, UserFactory

ROLES = [None, "user", "staff", "moderator", "admin"]
READERS = {"staff", "moderator", "admin"}
ADMINS = {"admin"}
MODERATORS = {"moderator", "admin"}
EXPORTERS = {"staff", "admin"}  # report-export
NOBODY: set[str] = set()

# view -> capability -> roles allowed. Comments and posts are deleted only by the audited moderation action.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "admin": {"read": READERS},
    "comment": {"read": READERS, "create": ADMINS, "edit": ADMINS, "delete": NOBODY, "moderate": MODERATORS,
                "export": EXPORTERS},
    "post": {"read": READERS, "create": ADMINS, "edit": ADMINS, "delete": NOBODY, "moderate": MODERATORS,
             "export": EXPORTERS},
    "user": {"read": ADMINS, "create": ADMINS, "edit": ADMINS, "delete": ADMINS, "moderate": ADMINS,
             "assign": ADMINS, "suspend": ADMINS, "export": ADMINS},
    "member": {"read": READERS, "create": NOBODY, "edit": NOBODY, "delete": NOBODY, "moderate": MODERATORS,
               "assign": NOBODY, "suspend": MODERATORS, "export": EXPORTERS},
    "role": {"read": {"staff", "admin"}, "create": ADMINS, "edit": ADMINS, "delete": ADMINS, "export": EXPORTERS},
    "audit": {"read": ADMINS, "create": NOBODY, "edit": NOBODY, "delete": NOBODY, "export": ADMINS},
    "queue": {"read": MODERATORS, "review": MODERATORS},
    # rule-manage; applying a rule moderates comments too. Rules are switched off, never deleted.
    "rule": {"read": MODERATORS, "create": MODERATORS, "edit": MODERATORS, "delete": NOBODY, "apply": MODERATORS,
             "moderate": MODERATORS, "export": NOBODY},
    "preferences": {"read": READERS},  # one's own language and time zone
    "reports": {"read": {"staff", "admin"}, "export": EXPORTERS},
    "language": {"choose": {None, "user", "staff", "moderator", "admin"}},  # the language menu, signed in or not
    "jobs": {"read": READERS},  # one's own background jobs (another's is a 404: tests/admin/test_jobs.py)
    "saved_views": {"read": READERS},  # one's own and shared views (another's: 404, tests/admin/test_saved_views.py)
    "health": {"public": {None, "user", "staff", "moderator", "admin"}},  # /healthz, /readyz: for the balancer
    "favicon": {"public": {None, "user", "staff", "moderator", "admin"}},  # /favicon.ico, asked for by browsers
}  # fmt: skip

# endpoint -> the capabilities any one of which opens it (action_view and moderate_view: per action, below).
CAPABILITY = {
    "index": ("read",), "index_view": ("read",), "details_view": ("read",), "ajax_lookup": ("create", "edit"),
    "create_view": ("create",), "edit_view": ("edit",), "ajax_update": ("edit",), "delete_view": ("delete",),
    "export": ("export",), "undo_view": ("moderate",),
    "approve_view": ("review",), "disable_view": ("review",), "skip_view": ("review",), "release_view": ("review",),
    "report_view": ("read",), "download_view": ("export",), "choose_language": ("choose",),
    "job_view": ("read",), "progress_view": ("read",), "cancel_view": ("read",), "file_view": ("read",),
    "healthz": ("public",), "readyz": ("public",), "favicon": ("public",),
    "save_view": ("read",), "open_view": ("read",), "remove_view": ("read",),
}  # fmt: skip

# view -> action of its list menu -> (capability, the operation its confirmation posts, or None: no confirmation)
ACTIONS: dict[str, dict[str, tuple[str | None, str | None]]] = {
    "comment": {"disable": ("moderate", "comment.disable"), "hold": ("moderate", "comment.hold"),
                "enable": ("moderate", "comment.enable"), "delete": ("moderate", "comment.delete")},
    "post": {"hide": ("moderate", "post.hide"), "unhide": ("moderate", "post.unhide"),
             "delete": ("moderate", "post.delete")},
    "user": {"disable_comments": ("moderate", "user.disable_comments"), "suspend": ("suspend", "user.suspend"),
               "suspend_and_disable": ("suspend", "user.suspend_and_disable"),
               "lift_suspension": ("suspend", "user.lift_suspension"), "add_role": ("assign", "user.add_role"),
             "remove_role": ("assign", "user.remove_role"), "deactivate": ("edit", "user.deactivate"),
             "reactivate": ("edit", "user.activate"), "delete": ("delete", None)},
    "member": {"disable_comments": ("moderate", "user.disable_comments"), "suspend": ("suspend", "user.suspend"),
               "suspend_and_disable": ("suspend", "user.suspend_and_disable"),
               "lift_suspension": ("suspend", "user.lift_suspension"), "add_role": ("assign", "user.add_role"),
               "remove_role": ("assign", "user.remove_role"), "deactivate": ("edit", "user.deactivate"),
               "reactivate": ("edit", "user.activate"), "delete": ("delete", None)},
    "role": {"delete": ("delete", None)},
    "rule": {"apply": ("apply", "rule.apply"), "delete": ("delete", None)},
    "audit": {"delete": ("delete", None)},
}  # fmt: skip

# view -> the AJAX lookups of its forms
LOOKUPS = {
    "comment": ["author", "post"], "post": ["author"], "user": [], "member": [], "role": [], "audit": [], "rule": [],
}  # fmt: skip

# The exact answer to an allowed request: (endpoint, method) -> status. Create and edit forms posted without
# their fields are answered with their errors (200); the preferences form without its fields is a 400; Flask-Admin
# answers ajax_update with 404 where no column is editable in the list.
STATUS = {
    ("index", "GET"): 200, ("index", "POST"): 400, ("index_view", "GET"): 200, ("details_view", "GET"): 200,
    ("create_view", "GET"): 200, ("create_view", "POST"): 200, ("edit_view", "GET"): 200,
    ("edit_view", "POST"): 200, ("delete_view", "POST"): 302, ("ajax_update", "POST"): 404,
    ("ajax_lookup", "GET"): 200, ("export", "GET"): 200, ("moderate_view", "POST"): 302,
    ("undo_view", "POST"): 302, ("approve_view", "POST"): 302, ("disable_view", "POST"): 302,
    ("skip_view", "POST"): 302, ("release_view", "POST"): 302, ("report_view", "GET"): 200,
    ("download_view", "GET"): 200, ("choose_language", "POST"): 302, ("job_view", "GET"): 200,
    ("progress_view", "GET"): 200, ("cancel_view", "POST"): 302, ("file_view", "GET"): 200,
    ("healthz", "GET"): 200, ("readyz", "GET"): 200, ("favicon", "GET"): 200,
    ("save_view", "GET"): 200, ("save_view", "POST"): 400, ("open_view", "GET"): 302, ("remove_view", "POST"): 302,
}  # fmt: skip


# The application's own routes outside any blueprint -> their entry in EXPECTED.
APP_ROUTES = {"choose_language": "language", "favicon": "favicon"}


@dataclass(frozen=True)
class Case:
    endpoint: str
    rule: str
    method: str
    action: str | None = None  # the action or operation posted, or the lookup asked
    data: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def view(self) -> str:
        return self.endpoint.rpartition(".")[0] or APP_ROUTES[self.endpoint]

    @property
    def name(self) -> str:
        return self.endpoint.rpartition(".")[2]

    def __str__(self) -> str:
        return f"{self.method} {self.rule}" + (f" [{self.action}]" if self.action else "")


def routes() -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every back-office URL: the admin views', the language menu, the health checks."""
    app = create_app("testing")
    views = {view.endpoint for view in app.extensions["admin"][0]._views}
    found = []
    for rule in app.url_map.iter_rules():
        blueprint, _, name = rule.endpoint.rpartition(".")
        if (blueprint in views and name != "static") or rule.endpoint in APP_ROUTES or blueprint == "health":
            found += [(rule.endpoint, rule.rule, method) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(found)


def cases() -> list[Case]:
    every = []
    for endpoint, rule, method in routes():
        view, _, name = endpoint.rpartition(".")
        if name == "action_view":
            every += [Case(endpoint, rule, method, action) for action in ACTIONS[view]]
        elif name == "moderate_view":
            operations = {operation for _cap, operation in ACTIONS[view].values() if operation}
            every += [Case(endpoint, rule, method, operation) for operation in sorted(operations)]
        elif name == "ajax_lookup":
            every += [Case(endpoint, rule, method, lookup) for lookup in LOOKUPS[view] + ["nonexistent"]]
        else:
            every.append(Case(endpoint, rule, method))
    return every


CASES = cases()
ROUTES = routes()


def capabilities(case: Case) -> tuple[str, ...]:
    if case.name == "action_view":
        return (ACTIONS[case.view][case.action or ""][0] or "",)
    if case.name == "moderate_view":
        return tuple({cap for cap, op in ACTIONS[case.view].values() if op == case.action})
    return CAPABILITY[case.name]


def allowed(case: Case, role: str | None) -> bool:
    return any(role in EXPECTED[case.view].get(capability, set()) for capability in capabilities(case))


def expected_status(case: Case) -> int:
    if case.name == "action_view":
        return 200 if ACTIONS[case.view][case.action or ""][1] else 302  # a confirmation page, or done
    if case.name == "ajax_lookup" and case.action == "nonexistent":
        return 404
    return STATUS[(case.name, case.method)]


def test_every_route_action_and_lookup_has_an_expectation() -> None:
    app = create_app("testing")
    for view in app.extensions["admin"][0]._views:
        if view.endpoint in ACTIONS:
            assert {name for name, _text in view._actions} == set(ACTIONS[view.endpoint]), view.endpoint
            assert sorted(getattr(view, "form_ajax_refs", None) or {}) == LOOKUPS[view.endpoint], view.endpoint
    for case in CASES:
        assert case.view in EXPECTED, f"{case.view}: add the new view to EXPECTED"
        assert capabilities(case), f"{case}: add its capability"
        for capability in capabilities(case):
            assert capability in EXPECTED[case.view], f"{case}: add {capability} to EXPECTED[{case.view!r}]"
        expected_status(case)


def snapshot() -> dict[str, list[Any]]:
    db.session.expire_all()
    return {
        table.name: sorted(map(tuple, db.session.execute(sa.select(table)).all()), key=repr)
        for table in db.metadata.sorted_tables
    }


def scene() -> dict[str, int]:
    """A comment (its author and post), an undoable operation on another one, an audit entry."""
    comment = CommentFactory()
    other = CommentFactory()
    moderator = UserFactory(roles=["moderator"])
    entry = moderate(OPERATIONS["comment.disable"], [other.id], Actor(moderator.id, moderator.email, None), "spam")
    rule = Rule(kind="word", text="watches", action="disable", reason="spam")
    db.session.add(rule)
    db.session.commit()
    return {"comment": comment.id, "post": comment.post_id, "user": comment.author_id, "member": comment.author_id,
            "role": 3, "audit": entry.entry_id, "entry": entry.entry_id, "rule": rule.id}  # fmt: skip


def finished_export(owner: Any) -> int:
    """A background export of ``owner``'s, done, its file ready to download."""
    job = Job(kind="export", name="comment", owner_id=owner.id, key=f"access-{owner.id}", status="done", attempts=1,
              payload={"selection": {"view": "comment", "args": [], "ids": None}}, ended_at=utcnow())  # fmt: skip
    db.session.add(job)
    db.session.flush()
    job.result = {"file": f"{job.id}-comments.csv", "rows": 0}
    (background.export_dir() / job.result["file"]).write_bytes(b"id\r\n")
    db.session.commit()
    return job.id


def make_request(client: FlaskClient, case: Case, ids: dict[str, int]) -> Any:
    url = case.rule.replace("<export_type>", "csv").replace("<report>", "comment-volume")
    url = url.replace("<int:job_id>", str(ids.get("job", 0))).replace("<int:saved_id>", str(ids.get("saved", 0)))
    pk = ids.get(case.view, 0)
    query: dict[str, Any] = {"id": pk} if case.name in {"details_view", "edit_view"} else {}
    if case.name == "ajax_lookup":
        query = {"name": case.action, "query": "user"}
    if case.name == "save_view":
        query = {"list": "comment", "search": "watches"}
    if case.method == "GET":
        return client.get(url, query_string=query)
    data: dict[str, Any] = {"csrf_token": csrf_token(client), "id": pk}
    if case.name == "action_view":
        data |= {"action": case.action, "rowid": [pk]}
    if case.name == "moderate_view":
        # "other": a reason every operation offers.
        data |= {
            "operation": case.action,
            "rowid": [pk],
            "reason": "other",
            "role": "staff",
            "duration": "7d",
            "confirmed": "1",
        }
    if case.name == "undo_view":
        data |= {"entry": ids["entry"]}
    if case.name == "ajax_update":
        data |= {"list_form_pk": pk, "body": "changed"}
    if case.name == "choose_language":
        data |= {"lang": "de_DE", "next": "/admin/"}
    return client.post(url, query_string=query, data=data)


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_access(client: FlaskClient, login_as: Any, case: Case, role: str | None) -> None:
    ids = scene()
    if (user := login_as(role)) is not None:
        ids["job"] = finished_export(user)
        ids["saved"] = saved_views.save(user, saved_views.Wanted("comment", "Watches", [("search", "watches")]))[0].id
        db.session.commit()
    before = snapshot()

    response = make_request(client, case, ids)

    if allowed(case, role):
        assert response.status_code == expected_status(case), response.get_data(as_text=True)[:800]
        if response.status_code == 302:
            assert not response.headers["Location"].startswith("/login")
        if case.name == "ajax_lookup" and response.status_code == 200:
            assert isinstance(response.get_json(), list)
        return
    if role is None:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 403
    assert snapshot() == before, "a refused request changed the database"
