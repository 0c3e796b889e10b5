from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from playback import evidence


class Command(BaseCommand):
    help = (
        "Remove the screenshots of runs past their retention (PLAYBACK_KEEP_MEDIA_DAYS for "
        "passing runs, PLAYBACK_KEEP_FAILED_MEDIA_DAYS for the rest; the last passing run "
        "of every flow on every platform is kept). Runs and step results stay. Prints "
        "what it removed as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be removed; remove nothing."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        self.stdout.write(json.dumps(evidence.prune_media(dry_run=dry_run)))
