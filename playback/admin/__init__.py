"""The run history for QA leads: runs and devices (flows are in flows/admin.py)."""

from playback.admin import batches, devices, insights, runs, schedules, webhooks  # noqa: F401  (registers the model admins)
