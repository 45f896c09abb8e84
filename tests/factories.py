"""factory-boy factories over the shared scoped session; rows are committed so HTTP requests see them."""

from __future__ import annotations

import uuid

import factory
import sqlalchemy as sa
from factory.alchemy import SQLAlchemyModelFactory
from flask_security import hash_password
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import Comment, Post, Role, User

PASSWORD = "correct horse battery"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Faker("name")
    active = True
    fs_uniquifier = factory.LazyFunction(lambda: uuid.uuid4().hex)
    password = factory.LazyFunction(lambda: hash_password(PASSWORD))

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **_kwargs: object) -> None:
        for name in extracted or ():
            self.roles.append(db.session.scalars(select(Role).where(Role.name == name)).one())
        if create and extracted:
            db.session.commit()  # post-generation runs after factory-boy's own commit


class PostFactory(BaseFactory):
    class Meta:
        model = Post

    body = factory.Faker("paragraph")
    author = factory.SubFactory(UserFactory)


class CommentFactory(BaseFactory):
    class Meta:
        model = Comment

    body = factory.Faker("sentence")
    author = factory.SubFactory(UserFactory)
    post = factory.SubFactory(PostFactory)


def roles_of(*users: User) -> list[list[str]]:
    """Each user's role names as the database holds them now, sorted."""
    db.session.expire_all()
    return [sorted(role.name for role in db.session.get(User, user.id).roles) for user in users]  # type: ignore[union-attr]


def comment_by_plain_sql(body: str) -> int:
    """A comment as the public site writes one: its own INSERT, no ORM, no back-office code. Returns its id."""
    author, post = UserFactory(), PostFactory()
    db.session.execute(
        sa.text(
            "INSERT INTO comments (body, body_html, timestamp, disabled, author_id, post_id) "
            "VALUES (:body, :body, CURRENT_TIMESTAMP, false, :author, :post)"
        ),
        {"body": body, "author": author.id, "post": post.id},
    )
    db.session.commit()
    return int(db.session.scalar(sa.select(sa.func.max(Comment.id))))
