from __future__ import annotations

import getpass
import json
import socket
import sys
from typing import Any

from config.commands import OneLineErrorsCommand
from flows.models import Flow
from playback import services
from playback.api.serializers import RunSerializer
from playback.engine import StepOutcome
from playback.models import Device, Run
from playback.words import SETTINGS_BY_NAME, FailureBehaviour, RunSettings, RunStatus

EXIT_CODES = {
    RunStatus.SUCCESS: 0,
    RunStatus.FAILED: 1,
    RunStatus.PARTIAL_SUCCESS: 1,
}
# Each run setting's option (`SETTINGS` in playback/words.py names them all).
OPTIONS = {
    "restart_app": "--no-restart",
    "clear_data": "--clear-data",
    "retry_per_step": "--retry",
    "failure_behaviour": "--failure-behaviour",
    "capture_screenshots": "--no-screenshots",
    "run_timeout_s": "--run-timeout",
}
EXIT_ERROR = 2
BAR_WIDTH = 24


class Progress:
    """Live progress on stderr: a bar on a terminal, one line per step otherwise."""

    def __init__(self, stream, total: int, summaries: dict[int, str]):
        self.stream = stream
        self.total = total
        self.summaries = summaries  # step number -> what it does
        self.tty = stream.isatty()

    def __call__(self, run: Run, outcome: StepOutcome) -> None:
        done = sum(run.step_tally().values())
        what = self.summaries.get(outcome.step, outcome.action)
        detail = f"step {outcome.step} {what}: {outcome.status}"
        if outcome.attempts > 1:
            detail += f" after {outcome.attempts} attempts"
        if self.tty:
            filled = BAR_WIDTH * done // max(self.total, 1)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stream.write(f"\r[{bar}] {done}/{self.total} {detail:<60.60}")
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
        "Play a flow on a device in the foreground; print the run as JSON. Exit code: "
        "0 success, 1 failed or partial_success (or flaky with --fail-on-flaky), 2 error "
        "(or bad arguments)."
    )

    def add_arguments(self, parser):
        parser.add_argument("flow", help="The flow's id, or its exact name.")
        parser.add_argument("--device", required=True, help="The device's device id.")

        def help_of(name: str) -> str:
            return SETTINGS_BY_NAME[name].help

        parser.add_argument("--retry", default=None, help=help_of("retry_per_step"))
        parser.add_argument(
            "--failure-behaviour",
            default=None,
            help=f"One of {', '.join(FailureBehaviour)}. {help_of('failure_behaviour')}",
        )
        parser.add_argument(
            "--no-restart", action="store_true", help="Do not: " + help_of("restart_app")
        )
        parser.add_argument("--clear-data", action="store_true", help=help_of("clear_data"))
        parser.add_argument(
            "--no-screenshots", action="store_true", help="Not: " + help_of("capture_screenshots")
        )
        parser.add_argument("--run-timeout", default=None, help=help_of("run_timeout_s"))
        parser.add_argument(
            "--queue-if-unreachable",
            action="store_true",
            help="Play even if the device's Appium does not answer a probe now (it will "
            "end as error if it still does not answer); else exit 2 at once.",
        )
        parser.add_argument(
            "--fail-on-flaky",
            action="store_true",
            help="Exit 1 when a step passed only on a retry (the run is still a success).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        flow = self.find_flow(opts["flow"])
        device = Device.objects.filter(device_id=opts["device"]).first()
        if device is None:
            self.fail(f"No device with device id {opts['device']!r} (see add_device).")

        values: dict[str, Any] = {
            "restart_app": not opts["no_restart"],
            "clear_data": opts["clear_data"],
            "capture_screenshots": not opts["no_screenshots"],
        }
        for name, option in (("retry_per_step", "retry"), ("run_timeout_s", "run_timeout")):
            if opts[option] is not None:
                values[name] = self.whole_number(opts[option], OPTIONS[name])
        if opts["failure_behaviour"] is not None:
            values["failure_behaviour"] = opts["failure_behaviour"]
        try:
            run = services.start_run(
                flow=flow,
                device=device,
                settings=RunSettings(**values),
                foreground=True,
                requested_from=f"{getpass.getuser()}@{socket.gethostname()} (play)",
                if_unreachable="queue" if opts["queue_if_unreachable"] else "refuse",
            )
        except services.RunRequestError as exc:
            self.fail(_one_line(exc.errors))
        except services.DeviceUnreachable as exc:
            self.fail(f"{exc.problem} Start it, or play with --queue-if-unreachable.")

        def waiting(run: Run) -> None:
            self.stderr.write(f"Device {device.device_id} is busy; run {run.pk} waits its turn.")

        try:
            summaries = {step.number: step.summary() for step in flow.steps.all()}
            progress = Progress(self.stderr._out, run.total_steps, summaries)
            run = services.play_in_foreground(run=run, on_wait=waiting, on_step=progress)
        except KeyboardInterrupt:
            self.stderr.write(f"\nInterrupted: run {run.pk} ended as cancelled.")
        run = (
            Run.objects.select_related("flow", "device")
            .prefetch_related("step_results")
            .get(pk=run.pk)
        )
        self.stdout.write(json.dumps(RunSerializer(run).data, indent=2))
        if run.error:
            self.stderr.write(f"Run {run.pk} {run.status}: {run.error}")
        code = EXIT_CODES.get(run.status, EXIT_ERROR)
        if code == 0 and opts["fail_on_flaky"] and run.flaky_steps:
            self.stderr.write(f"Run {run.pk}: {run.flaky_steps} flaky step(s) (--fail-on-flaky).")
            code = 1
        sys.exit(code)

    def find_flow(self, given: str) -> Flow:
        """A flow by its id, or by its exact name (a name that is a number too: the id wins)."""
        if given.isdigit():
            flow = Flow.objects.filter(pk=int(given)).first()
            if flow is not None:
                return flow
        flow = Flow.objects.filter(name=given).first()
        if flow is None:
            self.fail(f"No flow with id or name {given!r}.")
        return flow

    def whole_number(self, raw: str, option: str) -> int:
        try:
            return int(raw)
        except ValueError:
            self.fail(f"{option} must be a whole number (got {raw!r}).")


def _one_line(errors: dict[str, Any]) -> str:
    """The service's refusal in one line, settings named by their options."""
    parts = [f"{OPTIONS.get(k, k)}: {v}" for k, v in errors.pop("settings", {}).items()]
    parts.extend(f"{key}: {value}" for key, value in errors.items())
    return "; ".join(parts)
