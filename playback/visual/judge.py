"""The service's side of assert_screen: the engine hands it a screen (PNG) and the
step's masks and thresholds; it finds the approved baseline of (flow, name, device
profile), compares, stores the screen and the diff under the run, and makes a
candidate baseline of a screen that had none or differed (`updateBaselines`:
approves it instead). Its `record` is the step's `visual` (and a failed attempt's).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from playback.actions.assert_screen import png_size
from playback.evidence import save_file, stored_file
from playback.models import Run
from playback.visual import baselines
from playback.visual.compare import Rect, compare
from playback.visual.models import Baseline
from playback.words import BaselineStatus


@dataclass
class Verdict:
    passed: bool
    message: str = ""
    record: dict[str, Any] = field(default_factory=dict)


def profile_of(platform: str, size: tuple[int, int]) -> str:
    """A device profile: its platform and its screen's size in px ("web 412x915")."""
    return f"{platform} {size[0]}x{size[1]}"


class VisualJudge:
    """One run's judge (engine.Judge)."""

    def __init__(self, run: Run):
        self.run = run
        self.taken: Counter[int] = Counter()  # screens taken per step (its attempts)

    def __call__(
        self,
        step: int,
        name: str,
        png: bytes,
        masks: list[tuple[int, ...]],
        threshold: float,
        max_diff_ratio: float,
    ) -> Verdict:
        size = png_size(png)
        profile = profile_of(self.run.device.platform, size)
        self.taken[step] += 1
        files = f"runs/{self.run.pk}/step-{step:04d}-screen-{self.taken[step]}"
        actual, problem = save_file(f"{files}.png", png, "Screen")
        record: dict[str, Any] = {
            "name": name,
            "profile": profile,
            "actual": actual,
            "diff": "",
            "baseline_id": None,
            "candidate_id": None,
            "diff_ratio": None,
            "diff_pixels": None,
            "capture_error": problem,
        }
        kept = {"flow_id": self.run.flow_id, "name": name, "profile": profile, "png": png}
        kept |= {"size": size, "run": self.run, "step_number": step}
        if self.run.settings.update_baselines:
            new = baselines.add(**kept, approve_now=True, approved_by=self.run.requested_by)
            record["baseline_id"] = new.pk
            return Verdict(True, record=record)
        approved = Baseline.objects.filter(
            flow_id=self.run.flow_id, name=name, profile=profile, status=BaselineStatus.APPROVED
        ).first()
        if approved is None:
            record["candidate_id"] = baselines.add(**kept).pk
            return Verdict(False, f"no approved baseline for '{name}' on {profile}", record)
        record["baseline_id"] = approved.pk
        expected = stored_file(approved.image.name)
        if expected is None:
            return Verdict(False, f"The baseline image of '{name}' on {profile} is missing", record)
        found = compare(
            expected,
            png,
            threshold=threshold,
            masks=[Rect(*mask) for mask in masks],
        )
        if found.size_error:
            record["candidate_id"] = baselines.add(**kept).pk
            return Verdict(False, f"Screen '{name}' on {profile}: {found.size_error}", record)
        if found.diff_png is not None:
            record["diff"], _ = save_file(f"{files}-diff.png", found.diff_png, "Diff")
        record["diff_ratio"], record["diff_pixels"] = round(found.diff_ratio, 6), found.diff_pixels
        if found.diff_ratio <= max_diff_ratio:
            return Verdict(True, record=record)
        record["candidate_id"] = baselines.add(**kept).pk
        return Verdict(
            False,
            f"Screen '{name}' differs from its baseline (v{approved.version} on {profile}): "
            f"{found.diff_pixels} px, {found.diff_ratio:.2%} of the compared pixels, over "
            f"max_diff_ratio {max_diff_ratio:g}",
            record,
        )
