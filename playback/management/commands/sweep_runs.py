from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from playback.runs import sweeper


class Command(BaseCommand):
    help = (
        "End runs whose worker is lost, free locked devices, dispatch waiting runs "
        "(what the sweeper schedule does every minute)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(sweeper.sweep_runs()))
