"""WSGI entry point: `gunicorn wsgi:app`."""
from auditapp import create_app

app = create_app()
