"""Unbound extension instances; create_app binds them to an app."""

from flask_babel import Babel
from flask_migrate import Migrate
from flask_security import Security
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from admin_app.database import Base
from admin_app.two_factor import OneTimeTotp

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
security = Security(totp_cls=OneTimeTotp)
csrf = CSRFProtect()
