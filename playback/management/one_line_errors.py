"""What our management commands share."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

BAD_ARGUMENTS = 2


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
