"""The WSGI entry point: gunicorn wsgi:app, flask --app wsgi ...

The app (spoa) knows nothing of the workers; the entry point adds their commands
(`flask --app wsgi spoa worker`, `flask --app wsgi spoa reconcile`)."""
from spoa import create_app
from workers.cli import register_worker_commands

app = create_app()
register_worker_commands(app)
