"""Command line: `python manage.py run|db|users|roles|roles-sync|seed|...`."""

from flask.cli import FlaskGroup

from admin_app import create_app

cli = FlaskGroup(create_app=create_app, help=__doc__)

if __name__ == "__main__":
    cli()
