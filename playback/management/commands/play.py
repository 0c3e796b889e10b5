from __future__ import annotations

import contextlib
import getpass
import json
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings

from flows.models import Flow
from playback import queue, services
from playback.batches.models import Batch
from playback.devices import reachability
from playback.management.one_line_errors import OneLineErrorsCommand, logs_for_people
from playback.management.progress import BatchProgress
from playback.models import Device
from playback.reports.formats import FORMATS
from playback.resources.batches import BatchSerializer
from playback.resources.runs import RunSerializer
from playback.words import SETTINGS, BatchMode, RunSettings, RunStatus, Setting, Verdict

EXIT_CODES = {
    RunStatus.SUCCESS: 0,
    RunStatus.FAILED: 1,
    RunStatus.PARTIAL_SUCCESS: 1,
}
# Each run setting's option, as its `Setting` (playback/words.py) names it.
OPTIONS = {setting.name: setting.flag for setting in SETTINGS}
EXIT_ERROR = 2


class Command(OneLineErrorsCommand):
    help = (
        "Play flows (ids or names, or --tag) on devices (--device, repeatable, or "
        "--platform) as one batch, through the django-q2 workers (the cluster must run) "
        "or in this process with --local; live progress on stderr, the batch with its "
        "runs as JSON on stdout. Exit code: 0 success, 1 failed or partial_success (or "
        "flaky with --fail-on-flaky), 2 error or cancelled (or bad arguments)."
    )

    def add_arguments(self, parser):
        parser.add_argument("flows", nargs="*", metavar="FLOW", help="Flow ids or exact names.")
        parser.add_argument("--tag", help="Every flow with this tag (instead of FLOW).")
        parser.add_argument(
            "--device",
            action="append",
            dest="devices",
            metavar="DEVICE",
            help="A device id; repeat for several.",
        )
        parser.add_argument("--platform", help="Every enabled device of this platform.")
        parser.add_argument(
            "--mode",
            choices=[BatchMode.SPLIT, BatchMode.ALL],
            default=BatchMode.SPLIT,
            help="split: each flow once, on the next free device (default); all: each flow "
            "on every device of its platform.",
        )
        for report in FORMATS:  # --junit DIR, --html FILE, ...
            parser.add_argument(
                f"--{report.name}", metavar=report.cli_metavar, help=report.cli_help
            )
        parser.add_argument(
            "--local",
            action="store_true",
            help="Play in this process instead of the workers (no cluster needed).",
        )

        for setting in SETTINGS:
            add_setting_option(parser, setting)
        parser.add_argument(
            "--queue-if-unreachable",
            action="store_true",
            help="Play even if a device's Appium does not answer a probe now (its run ends "
            "as error if it still does not answer); else exit 2 at once.",
        )
        parser.add_argument(
            "--fail-on-flaky",
            action="store_true",
            help="Exit 1 when a step passed only on a retry (the run is still a success).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        with logs_for_people(opts["verbosity"]):
            self.play(opts)

    def play(self, opts: dict[str, Any]) -> None:
        if not opts["flows"] and not opts["tag"]:
            self.fail("Give flows (ids or names) or --tag.")
        if not opts["devices"] and not opts["platform"]:
            self.fail("Give --device (repeat for several) or --platform.")
        settings = self.run_settings(opts)
        request = {
            "flows": [self.flow_ref(given) for given in opts["flows"]] or None,
            "tag": opts["tag"],
            "devices": opts["devices"],
            "platform": opts["platform"],
            "mode": opts["mode"],
            "settings": settings,
        }
        try:
            services.check_batch(**request)
        except services.RunRequestError as exc:
            self.fail(_one_line(exc.errors))
        if not opts["queue_if_unreachable"]:
            self.check_devices(opts["devices"] or [])
        if not opts["local"]:
            wait = django_settings.PLAYBACK_WORKER_PING_S
            if not queue.workers_answer(wait):
                self.fail(
                    f"No django-q2 worker answered within {wait:g} s: start the cluster "
                    "(`make run`, or `manage.py qcluster`), or play in this process with --local."
                )
        try:
            batch = services.start_batch(
                **request,
                local=opts["local"],
                requested_from=f"{getpass.getuser()}@{socket.gethostname()} (play)",
            )
        except services.RunRequestError as exc:  # changed since the check
            self.fail(_one_line(exc.errors))
        batch = self.follow(batch, local=opts["local"])
        self.report(batch, opts)

    def follow(self, batch: Batch, *, local: bool) -> Batch:
        """Show the batch's progress until it ends (playing it here if `local`)."""
        player = None
        if local:
            player = threading.Thread(target=services.play_batch_here, args=(batch,), daemon=True)
            player.start()
        progress = BatchProgress(batch, self.stderr._out)
        try:
            return progress.follow(keep_going=player.is_alive if player else None)
        except KeyboardInterrupt:
            self.stderr.write(f"\nInterrupted: cancelling batch {batch.pk} ...")
            with contextlib.suppress(services.RunConflict):  # it ended meanwhile
                services.cancel_batch(batch=batch)
            return progress.follow(keep_going=player.is_alive if player else None)

    def report(self, batch: Batch, opts: dict[str, Any]) -> None:
        runs = list(batch.runs.select_related("flow", "device").prefetch_related("step_results"))
        data = BatchSerializer(batch).data
        data["runs"] = [RunSerializer(run).data for run in runs]
        self.stdout.write(json.dumps(data, indent=2))
        for report in FORMATS:
            if opts[report.name]:
                self.stderr.write(report.write(batch, runs, Path(opts[report.name])))
        for run in runs:
            if run.error and run.status != RunStatus.SUCCESS:
                self.stderr.write(f"Run {run.pk} {run.status}: {run.error}")
        self.stderr.write(f"Batch {batch.pk}: {batch.status}")
        # The verdict decides: failures of quarantined steps do not fail the job.
        code = 0 if batch.verdict == Verdict.PASS else EXIT_CODES.get(batch.status, EXIT_ERROR)
        if code == 0 and batch.status != RunStatus.SUCCESS:
            self.stderr.write("Verdict: pass (only quarantined steps failed).")
        flaky = sum(1 for run in runs if run.status == RunStatus.SUCCESS and run.flaky_steps)
        if code == 0 and opts["fail_on_flaky"] and flaky:
            self.stderr.write(f"{flaky} run(s) with flaky step(s) (--fail-on-flaky).")
            code = 1
        sys.exit(code)

    def run_settings(self, opts: dict[str, Any]) -> RunSettings:
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            given = opts[option_dest(setting)]
            if setting.kind is bool:
                values[setting.name] = setting.default != given  # the flag turns it
            elif given is not None and setting.kind is int:
                values[setting.name] = self.whole_number(given, setting.flag)
            elif given is not None:
                values[setting.name] = given
        return RunSettings(**values)

    def check_devices(self, device_ids: list[str]) -> None:
        """A named device whose Appium does not answer is refused at once."""
        for device in Device.objects.filter(device_id__in=device_ids, enabled=True):
            if problem := reachability.unreachable(device):
                self.fail(f"{problem} Start it, or play with --queue-if-unreachable.")

    def flow_ref(self, given: str) -> int | str:
        """A flow by its id, or by its exact name (a name that is a number too: the id wins)."""
        if given.isdigit() and Flow.objects.filter(pk=int(given)).exists():
            return int(given)
        return given

    def whole_number(self, raw: str, option: str) -> int:
        try:
            return int(raw)
        except ValueError:
            self.fail(f"{option} must be a whole number (got {raw!r}).")


def option_dest(setting: Setting) -> str:
    return setting.flag.removeprefix("--").replace("-", "_")


def add_setting_option(parser: Any, setting: Setting) -> None:
    """A run setting's option: a bool's flag turns it away from its default."""
    if setting.kind is bool:
        meaning = setting.help if not setting.default else f"Not: {setting.help}"
        parser.add_argument(setting.flag, action="store_true", help=meaning)
    elif setting.kind is int:
        parser.add_argument(setting.flag, default=None, metavar="N", help=setting.help)
    else:
        allowed = ", ".join(word.value for word in setting.kind)
        parser.add_argument(setting.flag, default=None, help=f"One of {allowed}. {setting.help}")


def _one_line(errors: dict[str, Any]) -> str:
    """The service's refusal in one line, settings named by their options."""
    parts = [f"{OPTIONS.get(k, k)}: {v}" for k, v in errors.pop("settings", {}).items()]
    parts.extend(f"{key}: {value}" for key, value in errors.items())
    return "; ".join(parts)
