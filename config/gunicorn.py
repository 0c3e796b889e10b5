"""gunicorn for the web hosts: `gunicorn -c config/gunicorn.py config.wsgi`.

A request may wait for its run (`?wait`, up to 300 s). With threaded workers a
waiting request holds one thread, not a worker process: the other threads of the
worker keep answering, and gunicorn's worker timeout (the worker's own heartbeat,
kept by its main thread) does not cut the wait short. Capacity: WORKERS x THREADS
requests at once, waiting ones included (4 x 16 = 64 by default).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
# Longer than the longest ?wait (300 s) with room, should a worker block anyway.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "330"))
graceful_timeout = 30
accesslog = "-"
