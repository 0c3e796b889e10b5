"""Request parsers (kept apart from playback.http.errors: DRF's views import them at start-up)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser

from playback.inputs import surrogate_problem


class SafeJSONParser(JSONParser):
    """JSON that is nested too deeply, or holds a lone surrogate in any string, is a
    400 before anything reads it."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
        problem = surrogate_problem(data)
        if problem:
            raise ParseError(f"JSON strings {problem[0].lower()}{problem[1:]}")
        return data


class YamlParser(BaseParser):
    """A YAML file as it was sent (bytes, at most `max_bytes` + 1 read: the view says
    what is wrong with a file too big, not UTF-8, or not YAML)."""

    media_type = "application/yaml"
    max_bytes = 1024 * 1024

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return stream.read(self.max_bytes + 1) if stream is not None else b""


class XYamlParser(YamlParser):
    media_type = "application/x-yaml"


class TextYamlParser(YamlParser):
    media_type = "text/yaml"
