"""Entry point for `celery -A app.celery_worker worker -B`: the Flask app bound to Celery."""

from app import create_app
from app.worker import init_celery

celery = init_celery(create_app())
