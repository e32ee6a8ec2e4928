"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""
from app import create_app, server_gc

app = create_app()
server_gc.freeze_startup_objects(app.config["GC_FREEZE"])
