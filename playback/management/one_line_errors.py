"""What our management commands share."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

BAD_ARGUMENTS = 2
# The loggers a command's own work writes to (the service's, the broker's).
SERVICE_LOGGERS = ("playback", "django-q")


class OneLineErrorsCommand(BaseCommand):
    """A command whose bad arguments end in one line on stderr and exit code 2."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def error(message: str) -> NoReturn:
            if parser.called_from_command_line:
                # Parsing happens before Django's own CommandError handling.
                sys.stderr.write(f"CommandError: {message} (see --help)\n")
                sys.exit(BAD_ARGUMENTS)
            raise CommandError(f"{message} (see --help)", returncode=BAD_ARGUMENTS)

        parser.error = error  # type: ignore[method-assign]
        return parser

    def fail(self, message: str) -> NoReturn:
        raise CommandError(message, returncode=BAD_ARGUMENTS)


@contextlib.contextmanager
def logs_for_people(verbosity: int) -> Iterator[None]:
    """While a command runs, its stderr is for people: the service's JSON log lines
    only from warnings up, unless asked for with -v 2 or more."""
    loggers = [logging.getLogger(name) for name in SERVICE_LOGGERS]
    levels = [logger.level for logger in loggers]
    if verbosity < 2:
        for logger in loggers:
            logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
