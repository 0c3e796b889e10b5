"""Evidence (screenshots) that cannot be saved never changes a step, and leaves no
partial file."""

from __future__ import annotations

import errno
import os
from unittest import mock

import pytest
from django.core.files.storage import default_storage

from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


class HalfWrittenFile:
    """A file on a disk that fills up halfway through a write."""

    def __init__(self, fd: int, mode: str):
        self.fd = fd

    def write(self, data: bytes) -> int:
        os.write(self.fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def close(self) -> None:
        os.close(self.fd)


def full_disk():
    return mock.patch("django.core.files.storage.filesystem.os.fdopen", side_effect=HalfWrittenFile)


def read_only_disk():
    def refuse(path, flags, mode=0o777, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)

    return mock.patch("django.core.files.storage.filesystem.os.open", side_effect=refuse)


@pytest.mark.parametrize(
    ("break_media", "why"),
    [
        (lambda settings, tmp: full_disk(), "disk full"),
        (lambda settings, tmp: read_only_disk(), "read-only"),
        (lambda settings, tmp: media_root_is_a_file(settings, tmp), "is not a folder"),
    ],
    ids=["disk full", "read-only", "media root is a file"],
)
def test_a_screenshot_that_cannot_be_saved_keeps_the_step_and_says_why(
    flow, device, play, settings, tmp_path, break_media, why
):
    with break_media(settings, tmp_path):
        run = play(flow, device, driver=ScriptedDriver())
    assert run.status == "success"
    results = list(run.step_results.all())
    assert [r.status for r in results] == ["pass", "pass", "pass"]
    assert all(not r.screenshot for r in results)
    assert all(why in r.screenshot_error for r in results), results[0].screenshot_error
    if os.path.isdir(settings.MEDIA_ROOT):
        assert not default_storage.exists(f"runs/{run.pk}/step-0001.png")  # nothing partial


class media_root_is_a_file:
    def __init__(self, settings, tmp):
        self.settings, self.path = settings, tmp / "not-a-folder"

    def __enter__(self):
        self.path.write_text("")
        self.settings.MEDIA_ROOT = self.path

    def __exit__(self, *exc):
        return False


def test_device_text_with_nul_and_lone_surrogates_is_stored_cleaned(flow, device, play):
    class Garbled(ScriptedDriver):
        def find(self, locator, timeout_ms):
            if locator.value == "b":
                raise RuntimeError("no such element\x00 \ud800 here")
            return super().find(locator, timeout_ms)

    run = play(flow, device, {"failure_behaviour": "continue"}, driver=Garbled())
    assert [r.status for r in run.step_results.all()] == ["pass", "fail", "pass"]
    failed = run.step_results.get(step_number=2)
    assert failed.error == "Failed after 1 attempt: no such element\\x00 \\ud800 here"
    assert failed.attempt_errors == ["no such element\\x00 \\ud800 here"]
    assert (run.successful_steps, run.failed_steps) == (2, 1)


def test_a_step_whose_write_fails_does_not_move_the_counters(flow, device, play):
    from playback.runs import recording

    real = recording.save_step
    calls = []

    def fail_second(**kwargs):
        calls.append(kwargs["step"]["step_number"])
        if kwargs["step"]["step_number"] == 2:
            raise OSError("database went away")
        return real(**kwargs)

    with mock.patch.object(recording, "save_step", side_effect=fail_second):
        run = play(flow, device, driver=ScriptedDriver())
    assert run.status == "error"
    assert list(run.step_results.values_list("step_number", "status")) == [
        (1, "pass"),
        (2, "blocked"),
        (3, "blocked"),
    ]
    assert (run.successful_steps, run.blocked_steps) == (1, 2)


def test_a_failed_attempts_evidence_that_cannot_be_saved_keeps_the_step_and_says_why(
    flow, device, play
):
    with full_disk():
        run = play(
            flow, device, {"retry_per_step": 1}, driver=ScriptedDriver(find_failures={"b": 1})
        )
    assert [r.status for r in run.step_results.all()] == ["pass", "flaky", "pass"]
    (entry,) = run.step_results.get(step_number=2).attempt_log
    assert (entry["screenshot"], entry["source"]) == ("", "")
    assert "Screenshot not saved: disk full" in entry["capture_error"]
    assert "UI source not saved: disk full" in entry["capture_error"]
    assert not default_storage.exists(f"runs/{run.pk}/step-0002-attempt-1.png")  # nothing partial
    assert not default_storage.exists(f"runs/{run.pk}/step-0002-attempt-1.xml")


def test_a_source_too_large_to_keep_is_left_out_with_its_size(flow, device, play, monkeypatch):
    from playback import evidence

    monkeypatch.setattr(evidence, "MAX_SOURCE_BYTES", 10)
    run = play(flow, device, {"retry_per_step": 1}, driver=ScriptedDriver(find_failures={"b": 1}))
    (entry,) = run.step_results.get(step_number=2).attempt_log
    assert entry["screenshot"].endswith("step-0002-attempt-1.png")
    assert entry["source"] == ""
    assert "not kept (over 10)" in entry["capture_error"]
