"""The run history for QA leads: runs and devices (flows are in flows/admin.py)."""

from playback.admin import (  # noqa: F401  (registers the model admins)
    baselines,
    batches,
    devices,
    insights,
    quarantines,
    runs,
    schedules,
    webhooks,
)
