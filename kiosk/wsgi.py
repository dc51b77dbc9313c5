"""Entry point of the kiosk app: ``flask --app kiosk.wsgi run`` or ``gunicorn kiosk.wsgi:app``."""

from kiosk import create_app

app = create_app()
