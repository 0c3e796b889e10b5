"""The OpenAPI schema's and its docs pages' settings (drf-spectacular), read by
config/settings.py."""

SPECTACULAR_SETTINGS = {
    "TITLE": "Playback API",
    "DESCRIPTION": (
        "Replays recorded mobile-app flows on devices through Appium. Authenticate with "
        "`Authorization: Token <key>` (see `make run`) or a Django session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SORT_OPERATIONS": "playback.http.schema.operation_order",
    "SERVE_PERMISSIONS": ["playback.http.permissions.ApiDocsAccess"],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "playback.api.event_schema.add_event_streams",  # async views it does not see
        "playback.http.schema.add_error_answers",  # typed 4xx bodies, integer path ids
    ],
    # Swagger UI's assets come from the drf-spectacular-sidecar package, not a CDN.
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "playback.resources.enums.RUN_STATUS",
        "StepStatusEnum": "playback.resources.enums.STEP_STATUS",
        "PlatformEnum": "playback.resources.enums.PLATFORM",
        "ActionEnum": "playback.resources.enums.ACTION",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
