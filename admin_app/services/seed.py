"""Demo and volume data: the three demo accounts, and users, posts and comments by the million."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_security import hash_password
from sqlalchemy import func, insert, select, text

from admin_app.database import utcnow
from admin_app.extensions import db, security
from admin_app.models import Comment, Post, Role, User, roles_users
from admin_app.permissions import DEFAULT_ROLE
from admin_app.services.bulk import insert_rows
from admin_app.services.demo_text import FIRST_NAMES, LAST_NAMES, PLACES, SPAM, WORDS

Progress = Callable[[int], None]
REVIEWED_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str


DEMO_ACCOUNTS = (
    DemoAccount("admin", "admin@example.com", "admin-demo-password"),
    DemoAccount("moderator", "moderator@example.com", "moderator-demo-password"),
    DemoAccount("staff", "staff@example.com", "staff-demo-password"),
)


def is_empty() -> bool:
    return db.session.scalar(select(func.count()).select_from(User)) == 0


def moderation_history(days: int = 6, seed: int = 1) -> int:
    """The demo moderator's past week, so that the reports and the audit trail have something to show: each
    day a few spam comments disabled, through the moderation service (audited, like any other operation)."""
    from admin_app.services.audit import Actor
    from admin_app.services.moderation import moderate
    from admin_app.services.operations import OPERATIONS

    moderator = db.session.scalars(select(User).where(User.email == DEMO_ACCOUNTS[1].email)).one()
    actor = Actor(moderator.id, moderator.email, None)
    rng = random.Random(seed)
    spam = list(db.session.scalars(select(Comment.id).where(Comment.body.in_(SPAM), ~Comment.disabled)))
    rng.shuffle(spam)
    now, changed = utcnow(), 0
    for day in range(days, 0, -1):
        size = rng.randint(2, 6)
        batch, spam = spam[:size], spam[size:]
        when = now - timedelta(days=day, hours=rng.randint(0, 8))
        changed += moderate(OPERATIONS["comment.disable"], batch, actor, "spam", now=when).changed
    return changed


def create_demo_accounts() -> list[DemoAccount]:
    """Create the demo admin, moderator and staff accounts that do not exist yet."""
    datastore = security.datastore
    created = []
    for account in DEMO_ACCOUNTS:
        if datastore.find_user(email=account.email):
            continue
        datastore.create_user(
            email=account.email,
            username=account.role,
            name=f"Demo {account.role}",
            password=hash_password(account.password),
            roles=[account.role],
        )
        created.append(account)
    return created


def fill(
    users: int = 0, posts: int = 0, comments: int = 0, *, seed: int | None = None, progress: Progress = lambda _n: None
) -> dict[str, int]:
    """Insert volume data set-based and return how many rows of each kind were added.

    Posts and comments are spread over the users (and posts) already in the database, so they need some.
    """
    rng = random.Random(seed)
    now = utcnow()
    added = {"users": _fill_users(users, rng, now, progress)}
    user_ids = _id_range(User)
    if (posts or comments) and user_ids is None:
        raise ValueError("posts and comments need users: add some with --users")
    added["posts"] = _fill_posts(posts, user_ids, rng, now, progress) if posts else 0
    post_ids = _id_range(Post)
    if comments and post_ids is None:
        raise ValueError("comments need posts: add some with --posts")
    added["comments"] = _fill_comments(comments, user_ids, post_ids, rng, now, progress) if comments else 0
    if db.session.connection().dialect.name == "postgresql":
        for table in ("users", "posts", "comments", "roles_users"):
            db.session.execute(text(f"ANALYZE {table}"))  # fresh planner estimates for the list counts
    return added


def _id_range(model: type[User] | type[Post]) -> tuple[int, int] | None:
    low, high = db.session.execute(select(func.min(model.id), func.max(model.id))).one()
    return None if low is None else (low, high)


def _random_time(rng: random.Random, now: datetime, days: int = 365) -> datetime:
    return now - timedelta(seconds=rng.randrange(days * 86400))


def _sentence(rng: random.Random, low: int = 6, high: int = 24) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def _fill_users(count: int, rng: random.Random, now: datetime, progress: Progress) -> int:
    if not count:
        return 0
    start = (db.session.scalar(select(func.max(User.id))) or 0) + 1

    def rows() -> Iterator[tuple[object, ...]]:
        for n in range(count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            handle = f"{first.lower()}.{last.lower()}{start + n}"  # ids only grow, so handles stay unique
            since = _random_time(rng, now, 1500)
            # Last seen somewhere between joining and now (never in the future); one draw, as before, so a given
            # seed still gives the same data otherwise.
            seen = since + (now - since) * rng.randrange(300) / 300
            yield (f"{handle}@example.org", handle, f"{first} {last}", rng.choice(PLACES), True,
                   uuid.uuid4().hex, since, seen, now, now)  # fmt: skip

    columns = ("email", "username", "name", "location", "active", "fs_uniquifier", "member_since", "last_seen",
               "create_datetime", "update_datetime")  # fmt: skip
    added = insert_rows(db.session, User.__table__, columns, rows(), progress)
    users = User.__table__.c
    role_id = db.session.scalar(select(Role.id).where(Role.name == DEFAULT_ROLE))
    if role_id is not None:
        new_members = select(users.id, role_id).where(users.id >= start)
        db.session.execute(insert(roles_users).from_select(["user_id", "role_id"], new_members))
    return added


def _fill_posts(
    count: int, users: tuple[int, int] | None, rng: random.Random, now: datetime, progress: Progress
) -> int:
    assert users is not None

    def rows() -> Iterator[tuple[object, ...]]:
        for _ in range(count):
            body = " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))
            yield body, f"<p>{body}</p>", _random_time(rng, now), rng.randint(*users)

    return insert_rows(db.session, Post.__table__, ("body", "body_html", "timestamp", "author_id"), rows(), progress)


def _fill_comments(
    count: int,
    users: tuple[int, int] | None,
    posts: tuple[int, int] | None,
    rng: random.Random,
    now: datetime,
    progress: Progress,
) -> int:
    assert users is not None and posts is not None
    # A few accounts post spam waves, as on a real site; about one comment in fifty is already disabled, and
    # everything older than REVIEWED_AFTER was reviewed: the review queue holds the recent ones.
    spammers = [rng.randint(*users) for _ in range(3)]
    reviewed_before = now - REVIEWED_AFTER

    def rows() -> Iterator[tuple[object, ...]]:
        for _ in range(count):
            if rng.random() < 0.05:
                body, author = rng.choice(SPAM), rng.choice(spammers)
            else:
                body, author = _sentence(rng), rng.randint(*users)
            posted, disabled = _random_time(rng, now), rng.random() < 0.02
            reviewed = posted + timedelta(hours=2) if disabled or posted < reviewed_before else None
            yield body, f"<p>{body}</p>", posted, disabled, reviewed, author, rng.randint(*posts)

    columns = ("body", "body_html", "timestamp", "disabled", "reviewed_at", "author_id", "post_id")
    return insert_rows(db.session, Comment.__table__, columns, rows(), progress)
