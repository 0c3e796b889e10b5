"""Rates: what queues runs counts against the `start` rate too."""

from __future__ import annotations

from typing import Any


class QueuesRuns:
    """A view mixin: its actions in `queuing_actions` (those that queue runs) count
    against the `start` rate (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES) as well."""

    queuing_actions: tuple[str, ...] = ()

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "action", None) in self.queuing_actions:
            self.throttle_scope = "start"
        super().initial(request, *args, **kwargs)
