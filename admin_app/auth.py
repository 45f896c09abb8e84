"""Flask-Security-Too login on the fsqla models: POST-only logout, CSRF through Flask-WTF."""

from __future__ import annotations

from flask import Flask
from flask_security import SQLAlchemyUserDatastore

from admin_app.extensions import csrf, db, security
from admin_app.models import Role, User


def init_app(app: Flask) -> None:
    csrf.init_app(app)  # before Security, which relies on it for its own forms
    datastore = SQLAlchemyUserDatastore(db, User, Role)
    security.init_app(app, datastore)
