"""Celery configuration for the thumbnail workers."""
from kombu import Exchange, Queue

broker_url = "amqp://thumbs:tNcLcOLkz_mMeZU4@rabbitmq.queue.svc:5672/thumbnails"
result_backend = "rpc://"
task_serializer = "json"
accept_content = ["json"]
timezone = "Europe/Dublin"
worker_prefetch_multiplier = 4

task_queues = (
    Queue("thumbs", Exchange("thumbs"), routing_key="thumbs"),
    Queue("thumbs.priority", Exchange("thumbs"), routing_key="thumbs.priority"),
)
