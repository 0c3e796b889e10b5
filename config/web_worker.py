"""gunicorn's worker (config/gunicorn.py): uvicorn-worker's, with gunicorn's quick
shutdown honoured.

gunicorn stops quickly on SIGINT or SIGQUIT (Ctrl-C in a terminal, `make run`'s stop)
by sending each worker SIGQUIT. uvicorn-worker 0.4 maps that signal to gunicorn's
`alive` flag, which its uvicorn server never reads: each worker lived on until
gunicorn's graceful_timeout (10 s) and was killed. Here SIGQUIT ends the server at
once, without waiting for open responses (an event stream, a `?wait`). SIGTERM, the
graceful stop, is uvicorn's own: requests in flight finish within graceful_timeout.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from gunicorn.arbiter import Arbiter
from uvicorn.server import Server
from uvicorn_worker import UvicornWorker


class Worker(UvicornWorker):
    async def _serve(self) -> None:
        self.config.app = self.wsgi
        server = Server(config=self.config)

        def quit_now() -> None:
            server.should_exit = server.force_exit = True

        asyncio.get_running_loop().add_signal_handler(signal.SIGQUIT, quit_now)
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
