"""The load: moderators, each continuing a session signed in once beforehand, reading comment and post lists, searching,
opening details and running small bulk disables and enables through the real pages (tick rows on a list, post the
action for the confirmation page, confirm it). No think time: N users keep N requests in flight.

Every request goes to a log of its own (MULTIHOST_LOAD names the run's settings), with the host that served it, so
the driver can cut the run into windows around the kill; every confirmed operation goes to a second log with what the
list then showed (rows changed, audit entry), which the audit check holds against the database.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any

from locust import HttpUser, constant, events, task
from requests.cookies import create_cookie

from bench.multihost import pages
from bench.multihost.client import USER_AGENT

CONFIG: dict[str, Any] = json.loads(open(os.environ["MULTIHOST_LOAD"]).read())
SESSIONS = itertools.cycle(CONFIG["sessions"]) if CONFIG.get("share_sessions") else iter(CONFIG["sessions"])
REQUESTS = open(CONFIG["requests_log"], "a", buffering=1)
OPERATIONS = open(CONFIG["operations_log"], "a", buffering=1)
# Moderators work near the top of the list (the newest comments), so that they often tick the same rows at once.
TOP_PAGES = 5
LIST_PAGES = 50


@events.request.add_listener
def log_request(
    request_type: str, name: str, response_time: float, response: Any, exception: Any, start_time: float, **_kw: Any
) -> None:
    status = getattr(response, "status_code", 0) or 0
    # HAProxy's own answers (a 502 when a host dies mid-request) carry no X-Served-By.
    served = response.headers.get("X-Served-By", "haproxy") if status else "-"
    error = type(exception).__name__ if exception and not status else "-"
    REQUESTS.write(
        f"{start_time + response_time / 1000:.4f} {response_time:.1f} {status} {served} {error} "
        f"{request_type} {name.replace(' ', '_')}\n"
    )


@events.quitting.add_listener
def close_logs(**_kw: Any) -> None:
    REQUESTS.flush()
    OPERATIONS.flush()


class Moderator(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        session = next(SESSIONS)
        self.email = session["email"]
        self.site = str(self.host)
        self.confirmations = 0
        self.client.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        self.client.verify = CONFIG["cert"]
        self.client.headers["User-Agent"] = USER_AGENT
        for cookie in session["cookies"]:
            self.client.cookies.set_cookie(create_cookie(**cookie))

    @task(4)
    def comment_list(self) -> None:
        self.client.get(f"/admin/comment/?page={random.randrange(LIST_PAGES)}", name="comment list")

    @task(1)
    def disabled_list(self) -> None:
        self.client.get("/admin/comment/?flt0_disabled_equals=1", name="comment list, disabled")

    @task(3)
    def search(self) -> None:
        self.client.get(f"/admin/comment/?search={random.choice(CONFIG['words'])}", name="comment search")

    @task(2)
    def comment_details(self) -> None:
        self.client.get(
            f"/admin/comment/details/?id={random.randint(1, CONFIG['max_comment_id'])}", name="comment details"
        )

    @task(1)
    def post_list(self) -> None:
        self.client.get(f"/admin/post/?page={random.randrange(LIST_PAGES)}", name="post list")

    @task(1)
    def post_details(self) -> None:
        self.client.get(f"/admin/post/details/?id={random.randint(1, CONFIG['max_post_id'])}", name="post details")

    @task(1)
    def disable(self) -> None:
        self.bulk("disable", f"/admin/comment/?page={random.randrange(TOP_PAGES)}")

    @task(1)
    def enable(self) -> None:
        self.bulk("enable", f"/admin/comment/?flt0_disabled_equals=1&page={random.randrange(TOP_PAGES)}")

    def bulk(self, action: str, list_path: str) -> None:
        """Tick two to five rows of a list page, ask for the action, confirm it, and read the list it returns to."""
        listing = self.client.get(list_path, name=f"{action}: list")
        ids, token = pages.row_ids(listing.text), pages.csrf_token(listing.text)
        if listing.status_code != 200 or not ids or token is None:
            return
        ticked = random.sample(ids, min(len(ids), random.randint(2, 5)))
        asked = self.client.post(
            "/admin/comment/action/",
            data=[("action", action), ("csrf_token", token), ("url", list_path), *[("rowid", str(i)) for i in ticked]],
            name=f"{action}: confirmation page",
            headers={"Referer": self.site + list_path},
        )
        confirm = pages.form(asked.text, "/moderate/") if asked.status_code == 200 else None
        if confirm is None:  # nothing to do (every ticked row already in that state), or an error already logged
            return
        # Each confirmation carries a note of its own, kept in its audit entry: the audit check finds the entry of
        # every confirmation sent, answered or not, and any entry that no confirmation (or two) would explain.
        self.confirmations += 1
        note = f"multihost {CONFIG['label']} {self.email} #{self.confirmations}"
        # The Referer a browser sends (HTTPS: the CSRF check wants one of the same origin).
        done = self.client.post(
            confirm.attrs["action"],
            data=pages.confirmation_data(confirm, "spam", note),
            name=f"{action}: confirm",
            allow_redirects=False,
            headers={"Referer": self.site + "/admin/comment/action/"},
        )
        outcome, shown = "no answer", None
        if done.status_code == 302:
            after = self.client.get(done.headers["Location"], name=f"{action}: list after")
            shown = pages.result(after.text) if after.status_code == 200 else None
            failed = after.status_code == 200 and pages.FAILED in after.text
            outcome = "done" if shown else ("failed" if failed else "result not seen")
        elif done.status_code:
            outcome = f"answered {done.status_code}"
        record = {"note": note, "email": self.email, "action": action, "ticked": ticked, "status": done.status_code,
                  "outcome": outcome, "changed": shown.changed if shown else None,
                  "entry": shown.entry_id if shown else None}  # fmt: skip
        OPERATIONS.write(json.dumps(record) + "\n")
