"""The README's quick starts, walked as a new user would: `make run`'s stack, then the
curl commands as written (host and token filled in), then `play` as written."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from simulator.server import free_port
from tests.integration.conftest import start_stack, stopped_within

pytestmark = [pytest.mark.appium]
README = (Path(settings.BASE_DIR) / "README.md").read_text()


def shell_block(after_heading: str) -> list[str]:
    """The commands of the first ```sh block under a heading: a command goes on past a
    trailing backslash and while a quote is open."""
    section = README.split(after_heading, 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands, current = [], ""
    for line in block.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1]
            continue
        current += line
        if current.count("'") % 2 == 0:
            commands.append(current.split("  #")[0].strip())
            current = ""
        else:
            current += "\n"
    return commands


def run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )


def test_the_readme_quick_starts_work_as_written(stack_env, tmp_path):
    web = free_port()
    stack, lines = start_stack(stack_env, web, until="Demo run 1:")
    try:
        token = next(line.split()[-1] for line in lines if "API token" in line)
        env = {**stack_env, "TOKEN": token}
        where = f"127.0.0.1:{web}"
        curl = shell_block("## Quick start with curl")
        assert curl[0].startswith("TOKEN=")
        answers = [run(c.replace("127.0.0.1:8000", where), tmp_path, env) for c in curl[1:]]
        assert all(a.returncode == 0 for a in answers), [a.stderr for a in answers]
        started, read, listed, _, rerun = answers
        assert json.loads(started.stdout)["status"] == "success"
        assert json.loads(read.stdout)["run_id"] == 1 and json.loads(read.stdout)["steps"]
        assert "results" in json.loads(listed.stdout)
        assert (tmp_path / "step1.png").read_bytes().startswith(b"\x89PNG")
        assert json.loads(rerun.stdout)["rerun_of"] == 1

        play = shell_block("## Quick start without curl: `play`")
        assert play[0].startswith("make install") and play[2].startswith("make appium")
        assert play[3].endswith("--local")
        python = f"cd {settings.BASE_DIR} && {sys.executable}"
        for command in (play[1], play[3]):  # seed_demo, play (Appium runs in the stack)
            answer = run(command.replace(".venv/bin/python", python), tmp_path, env)
            assert answer.returncode == 0, answer.stdout[-500:] + answer.stderr[-2000:]
        assert json.loads(answer.stdout)["status"] == "success"
        ci = shell_block("so CI can gate on it:")[0]
        answer = run(
            ci.replace(".venv/bin/python", python).replace("run.json", str(tmp_path / "run.json")),
            tmp_path,
            env,
        )
        assert "flow broke" not in answer.stdout
        assert json.loads((tmp_path / "run.json").read_text())["status"] == "success"
    finally:
        assert stopped_within(stack, signal.SIGINT) < 5


def yaml_commands(after: str) -> list[str]:
    """The shell commands of the first ```yaml block after `after` (a `run: |` block's
    lines, or a `script:` list's items)."""
    block = re.search(r"```yaml\n(.*?)```", README.split(after, 1)[1], re.S).group(1)
    if "run: |" in block:
        lines = block.split("run: |", 1)[1].splitlines()[1:]
        indent = " " * (len(lines[0]) - len(lines[0].lstrip()))
        commands = []
        for line in lines:
            if not line.startswith(indent):
                break  # the block ends where its indent does
            commands.append(line.strip())
        return commands
    script = block.split("script:", 1)[1].split("artifacts:", 1)[0]
    return [line.strip()[2:] for line in script.splitlines() if line.strip().startswith("- ")]


def test_the_readme_ci_recipe_plays_the_smoke_batch_and_writes_junit(stack_env, tmp_path):
    from tests.surefire import problems

    commands = shell_block("### The commands a CI job runs")
    assert yaml_commands("GitHub Actions") == commands == yaml_commands("GitLab CI")
    assert commands[0] == "make install"  # done: the suite runs after it
    web = free_port()
    python = f"{sys.executable} {settings.BASE_DIR / 'manage.py'}"
    here = [c.replace(".venv/bin/python manage.py", python).replace("127.0.0.1:8000",
                                                                    f"127.0.0.1:{web}")
            for c in commands[1:]]  # fmt: skip
    for command in here[:2]:  # migrate, seed_demo
        answer = run(command, tmp_path, stack_env)
        assert answer.returncode == 0, answer.stderr[-2000:]
    assert here[2].endswith("&")
    stack = subprocess.Popen(["bash", "-c", here[2].rstrip("& ")], cwd=tmp_path, env=stack_env,
                             start_new_session=True)  # fmt: skip
    try:
        played = run(here[3], tmp_path, stack_env)
        assert played.returncode == 0, played.stdout[-1000:] + played.stderr[-3000:]
        batch = json.loads(played.stdout)
        assert batch["status"] == "success" and batch["tag"] == "smoke"
        # CI's log is for people: progress lines, no JSON log lines of the service.
        assert '"logger": ' not in played.stderr, played.stderr[-1000:]
        files = sorted((tmp_path / "reports").glob("TEST-*.xml"))
        assert len(files) == len(batch["runs"]) >= 1
        assert all(problems(path.read_bytes()) == [] for path in files)
        assert (tmp_path / "reports" / "report.html").read_text().startswith("<!DOCTYPE html>")
    finally:
        assert stopped_within(stack, signal.SIGINT) < 10
