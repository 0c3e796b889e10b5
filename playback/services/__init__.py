"""The use cases of playback: the one entry point the API, the admin, the CLI and
the worker tasks call (`services.start_run(...)`). They orchestrate; every change of
a run's state is a transition of `playback.runs.lifecycle`."""

from playback.services.batches import cancel_batch, check_batch, rerun_failed, start_batch
from playback.services.playing import (
    engine_step,
    engine_steps,
    engine_timing,
    execute_run,
    play_batch_here,
    play_in_foreground,
)
from playback.services.runs import (
    DeviceUnreachable,
    IdempotencyConflict,
    RunConflict,
    RunRequestError,
    cancel_run,
    effective_settings,
    rerun,
    run_request_problems,
    start_run,
    start_run_once,
    wait_for_run,
    why_waiting,
)

__all__ = [
    "DeviceUnreachable",
    "IdempotencyConflict",
    "RunConflict",
    "RunRequestError",
    "cancel_batch",
    "cancel_run",
    "check_batch",
    "effective_settings",
    "engine_step",
    "engine_steps",
    "engine_timing",
    "execute_run",
    "play_batch_here",
    "play_in_foreground",
    "rerun",
    "rerun_failed",
    "run_request_problems",
    "start_batch",
    "start_run",
    "start_run_once",
    "wait_for_run",
    "why_waiting",
]
