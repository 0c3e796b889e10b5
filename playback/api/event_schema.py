"""The event streams in the OpenAPI schema (they are async Django views, which
drf-spectacular does not see): a POSTPROCESSING_HOOK adds their paths."""

from __future__ import annotations

from typing import Any

RUN = (
    "Server-Sent Events of a run: first each step already finished (`event: step`, the "
    "step as the run resource shows it), the run's status (`event: status`, the run "
    "without steps), then each step as it is committed and each status change, and "
    "`event: end` with the final run resource; then the stream closes. Each event's "
    "`id` is the subscriber's position (`<step>:<status>`): reconnecting with it as "
    "`Last-Event-ID` (EventSource does so itself) resumes without gaps or duplicates. "
    "Authenticate with the token or session as for any GET, or open the run "
    "resource's signed `events_url` (no header needed: a browser's EventSource). A "
    "comment line (`: keepalive`) is sent every 15 s of quiet."
)
BATCH = (
    "Server-Sent Events of a batch: each run of it that ended (`event: run`, the run "
    "without steps), the batch's status (`event: status`, the batch resource), and "
    "`event: end` with the final batch resource; then the stream closes. `id` is "
    "`<ended run ids as ranges>:<status>`; reconnect with it as `Last-Event-ID`. "
    "Authentication as for a run's events (the batch resource's `events_url`)."
)


def _operation(kind: str, description: str) -> dict[str, Any]:
    return {
        "operationId": f"playback_{kind}_events",
        "summary": f"Follow a {'batch' if kind == 'batches' else 'run'} live (Server-Sent Events)",
        "description": description,
        "tags": ["playback"],
        "parameters": [
            {
                "in": "path",
                "name": "id",
                "required": True,
                "schema": {"type": "integer", "minimum": 0},
            },
            {
                "in": "query",
                "name": "sig",
                "required": False,
                "schema": {"type": "string"},
                "description": "The signature of the resource's `events_url` (valid 600 s to "
                "connect), instead of a token or session.",
            },
            {
                "in": "header",
                "name": "Last-Event-ID",
                "required": False,
                "schema": {"type": "string"},
                "description": "The id of the last event received: resume after it.",
            },
        ],
        "security": [{"tokenAuth": []}, {"cookieAuth": []}, {}],
        "responses": {
            "200": {
                "description": "The stream (text/event-stream), until `end`.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            }
        },
    }


def add_event_streams(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    paths = result.setdefault("paths", {})
    paths["/api/playback/runs/{id}/events"] = {"get": _operation("runs", RUN)}
    paths["/api/playback/batches/{id}/events"] = {"get": _operation("batches", BATCH)}
    return result
