"""gunicorn for the web hosts: `gunicorn -c config/gunicorn.py config.asgi:application`.

gunicorn keeps the processes (forks them, restarts a dead one, reloads on SIGHUP,
stops gracefully); each is a uvicorn worker serving Django's ASGI application on an
event loop. A request that waits for its run (`?wait`, up to 300 s) or follows its
events (Server-Sent Events) is a coroutine parked on the loop, not a thread: a worker
holds thousands of them. Views that do not wait run as Django runs sync views under
ASGI, each on a thread of its own for its request, all sharing the process's one
interpreter lock: run about two workers per core (GUNICORN_WORKERS, default 4).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = "config.web_worker.Worker"  # uvicorn's, stopping on a quick shutdown
# The loop answers gunicorn's heartbeat while requests wait; this only fires when a
# worker's loop is stuck, and must still exceed the longest ?wait (300 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "330"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "10"))
# A burst of clients (200 POSTs at once) waits in the kernel's queue, not refused.
backlog = 2048
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # "" turns it off
# On PostgreSQL each worker keeps a pool of up to this many connections (Django's
# psycopg pool): each sync request runs on a thread of its own under ASGI, and would
# otherwise open a connection of its own (8 ms a request on this machine).
os.environ.setdefault("PLAYBACK_DB_POOL", "16")
# gunicorn's control socket defaults to one path per user: two servers on one host
# (a benchmark's stacks, the tests) would take each other's. Nothing here uses it.
control_socket_disable = True


def post_worker_init(worker):
    """Each worker's access lines leave out events links' signatures."""
    from config.logs import hide_signatures_in_access_logs

    hide_signatures_in_access_logs()
