from __future__ import annotations

import json
import sys
from typing import Any

from config.commands import OneLineErrorsCommand
from flows.models import Flow
from playback import services
from playback.engine import FailureBehaviour, StepOutcome
from playback.models import Device, Run
from playback.serializers import RunSerializer

EXIT_CODES = {
    Run.Status.SUCCESS: 0,
    Run.Status.FAILED: 1,
    Run.Status.PARTIAL_SUCCESS: 1,
}
EXIT_ERROR = 2
BAR_WIDTH = 24


class Progress:
    """Live progress on stderr: a bar on a terminal, one line per step otherwise."""

    def __init__(self, stream, total: int):
        self.stream = stream
        self.total = total
        self.tty = stream.isatty()

    def __call__(self, run: Run, outcome: StepOutcome) -> None:
        done = run.successful_steps + run.failed_steps + run.skipped_steps + run.blocked_steps
        detail = f"step {outcome.step} {outcome.action}: {outcome.status}"
        if outcome.attempts > 1:
            detail += f" after {outcome.attempts} attempts"
        if self.tty:
            filled = BAR_WIDTH * done // max(self.total, 1)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stream.write(f"\r[{bar}] {done}/{self.total} {detail:<48.48}")
            if done >= self.total:
                self.stream.write("\n")
        else:
            line = f"[{done}/{self.total}] {detail} ({outcome.duration_ms} ms)"
            if outcome.error and outcome.status != "pass":
                line += f" - {outcome.error}"
            self.stream.write(line + "\n")
        self.stream.flush()


class Command(OneLineErrorsCommand):
    help = (
        "Play a flow on a device in the foreground; print the run as JSON. "
        "Exit code: 0 success, 1 failed or partial_success, 2 error (or bad arguments)."
    )

    def add_arguments(self, parser):
        parser.add_argument("flow_id", help="The flow's id.")
        parser.add_argument("--device", required=True, help="The device's device id.")
        parser.add_argument("--retry", default=None, help="Retries per step (0-3; more is 3).")
        parser.add_argument(
            "--failure-behaviour",
            default=None,
            help="What follows a failed step: " + ", ".join(b.value for b in FailureBehaviour),
        )
        parser.add_argument("--no-restart", action="store_true", help="Do not restart the app.")
        parser.add_argument("--clear-data", action="store_true", help="Clear the app's data.")
        parser.add_argument("--no-screenshots", action="store_true", help="No screenshots.")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            flow_id = int(opts["flow_id"])
        except ValueError:
            self.fail(f"FLOW_ID must be a flow's numeric id (got {opts['flow_id']!r}).")
        flow = Flow.objects.filter(pk=flow_id).first()
        if flow is None:
            self.fail(f"No flow with id {flow_id}.")
        device = Device.objects.filter(device_id=opts["device"]).first()
        if device is None:
            self.fail(f"No device with device id {opts['device']!r} (see add_device).")

        settings: dict[str, Any] = {
            "restartApp": not opts["no_restart"],
            "clearData": opts["clear_data"],
            "captureScreenshots": not opts["no_screenshots"],
        }
        if opts["retry"] is not None:
            try:
                settings["retryPerStep"] = int(opts["retry"])
            except ValueError:
                self.fail(f"--retry must be a whole number from 0 to 3 (got {opts['retry']!r}).")
        if opts["failure_behaviour"] is not None:
            settings["failureBehaviour"] = opts["failure_behaviour"]
        try:
            run = services.start_run(flow=flow, device=device, settings=settings, foreground=True)
        except services.RunRequestError as exc:
            self.fail(_one_line(exc.errors))

        def waiting(run: Run) -> None:
            self.stderr.write(f"Device {device.device_id} is busy; run {run.pk} waits its turn.")

        try:
            run = services.play_in_foreground(
                run=run, on_wait=waiting, on_step=Progress(self.stderr._out, run.total_steps)
            )
        except KeyboardInterrupt:
            self.stderr.write(f"\nInterrupted: run {run.pk} ended as cancelled.")
        run = Run.objects.select_related("device").prefetch_related("step_results").get(pk=run.pk)
        self.stdout.write(json.dumps(RunSerializer(run).data, indent=2))
        if run.error:
            self.stderr.write(f"Run {run.pk} {run.status}: {run.error}")
        sys.exit(EXIT_CODES.get(run.status, EXIT_ERROR))


def _one_line(errors: dict[str, Any]) -> str:
    parts = []
    for key, value in errors.items():
        if isinstance(value, dict):
            parts.extend(f"{key}.{k}: {v}" for k, v in value.items())
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)
