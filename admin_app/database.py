"""Declarative base with a naming convention, so constraint names are stable across databases."""

from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Naive UTC now: every timestamp column stores UTC without a zone, like Flask-Security's own."""
    return datetime.now(UTC).replace(tzinfo=None)


# PostgreSQL-only trigram indexes for the admin search live in the migrations alone (they index the
# exact CAST(col AS VARCHAR) expression Flask-Admin's search emits), so autogenerate must not drop them.


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (type_ == "index" and reflected and compare_to is None and (name or "").endswith("_trgm"))
