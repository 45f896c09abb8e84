"""Keeps body_html in step with body, as Flasky does: markdown rendered, then sanitised."""

from __future__ import annotations

from typing import Any

import markdown
import nh3
from sqlalchemy import event

from admin_app.models.comment import Comment
from admin_app.models.post import Post

POST_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "code",
    "em",
    "i",
    "li",
    "ol",
    "pre",
    "strong",
    "ul",
    "h1",
    "h2",
    "h3",
    "p",
}
COMMENT_TAGS = {"a", "abbr", "b", "code", "em", "i", "strong"}


def render(body: str, tags: set[str]) -> str:
    return nh3.clean(markdown.markdown(body or ""), tags=tags)


@event.listens_for(Post.body, "set")
def _post_body_set(target: Post, value: str, _old: Any, _initiator: Any) -> None:
    target.body_html = render(value, POST_TAGS)


@event.listens_for(Comment.body, "set")
def _comment_body_set(target: Comment, value: str, _old: Any, _initiator: Any) -> None:
    target.body_html = render(value, COMMENT_TAGS)
