"""What the OpenAPI schema says of every operation beyond its own success answer: its
4xx answers with their bodies, and integer path ids (drf-spectacular's
POSTPROCESSING_HOOKS). A client generated from the schema gets a typed 400."""

from __future__ import annotations

from typing import Any

DETAIL = {
    "type": "object",
    "description": "Why the request was refused, in words.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": (
        "What to fix, per field: {field: [message, ...]}; nested objects (settings) "
        "nest the same way. `non_field_errors` or `detail` speak of the request as a "
        "whole."
    ),
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string"},
            {"$ref": "#/components/schemas/FieldErrors"},
        ]
    },
}
ANSWERS = {
    "400": ("FieldErrors", "Bad input: what to fix, per field."),
    "401": ("ErrorDetail", "No credentials, or a revoked token."),
    "403": ("ErrorDetail", "The user's groups do not allow this."),
    "404": ("ErrorDetail", "Nothing with this id."),
    "409": ("ErrorDetail", "The resource's state does not allow this."),
    "410": ("ErrorDetail", "Removed by retention."),
    "413": ("ErrorDetail", "The body is larger than PLAYBACK_MAX_BODY_BYTES."),
    "415": ("ErrorDetail", "The body is not JSON."),
    "416": ("ErrorDetail", "The Range is past the end of the file (Content-Range: */size)."),
    "429": ("ErrorDetail", "Too many requests: try again after Retry-After seconds."),
}
INTEGER_PATH_PARAMETERS = {"id", "run_id", "step", "attempt"}


def add_error_answers(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    result.setdefault("components", {}).setdefault("schemas", {}).update(
        {"ErrorDetail": DETAIL, "FieldErrors": FIELD_ERRORS}
    )
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            wanted = {"401", "403", "429"}
            if "{" in path:
                wanted.add("404")
            if method in ("post", "put", "patch"):
                wanted |= {"400", "413", "415"}
            if method == "get" and any(p["in"] == "query" for p in operation.get("parameters", [])):
                wanted.add("400")
            answers = operation.setdefault("responses", {})
            for code in sorted(wanted | (set(answers) & set(ANSWERS))):
                component, description = ANSWERS[code]
                answer = answers.setdefault(code, {"description": description})
                answer["content"] = {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}
                }
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in INTEGER_PATH_PARAMETERS:
                    parameter["schema"] = {"type": "integer", "minimum": 0}
    return result


# The operation a newcomer tries first, first in the docs (its tag first too).
FIRST_OPERATION = "/api/playback/start/"


def operation_order(endpoint: tuple[str, str, str, Any]) -> tuple[bool, Any]:
    """drf-spectacular's SORT_OPERATIONS: starting a run first, then by path."""
    from drf_spectacular.plumbing import alpha_operation_sorter

    return endpoint[0] != FIRST_OPERATION, alpha_operation_sorter(endpoint)
