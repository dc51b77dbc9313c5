"""Entry point for ``flask --app wsgi`` and gunicorn (``gunicorn wsgi:app``)."""

from portal import create_app
from portal.tasks import huey  # noqa: F401 - ``huey_consumer wsgi.huey`` finds the queue here

app = create_app()  # binds ``huey`` to this app's settings
