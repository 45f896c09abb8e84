"""The WSGI entry point for gunicorn (config/gunicorn.conf.py): ``gunicorn -c config/gunicorn.conf.py
admin_app.wsgi:app``. The profile comes from ADMIN_APP_PROFILE (production), the rest from FLASK_* variables."""

from admin_app import create_app

app = create_app()
