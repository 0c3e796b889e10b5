"""A Maestro YAML file as a Playback flow (the JSON shape of flows.definitions).

The file is the config document (`appId` or `url`, `name`, `tags`), `---`, then the
commands. Each command maps to steps (commands.py); `runFlow` (a file beside the
first, or inline `commands:`) and `repeat: {times}` are inlined, at most MAX_STEPS
steps in all. A command that does not map is refused with its line (and file); with
`drop_unsupported` the rest is imported and the dropped commands are listed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flows.definitions import MAX_STEPS
from flows.maestro.commands import COMMANDS, NESTING, Unsupported, step_flags

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 10  # runFlow/repeat/retry inside one another
# Commands read, repeated ones included: bounds the work of repeats that make no steps.
MAX_VISITS = 10 * MAX_STEPS
CONFIG_KEYS = ("appId", "url", "name", "tags")
PLATFORMS = ("android", "ios", "sim", "web")
# Reads a file a runFlow names (relative to the first file); None: none may be read.
FileOpener = Callable[[str], str] | None


class MaestroError(ValueError):
    """The file cannot be read as a Maestro flow; `errors` maps a field to what to fix."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


class Refused(ValueError):
    """Commands that do not map; nothing is imported."""

    def __init__(self, unsupported: list[dict[str, Any]]):
        self.unsupported = unsupported
        super().__init__(
            "; ".join(f"line {u['line']}: {u['command']}: {u['reason']}" for u in unsupported)
        )


@dataclass
class Imported:
    flow: dict[str, Any]  # the flow JSON shape
    lines: list[int]  # each step's line in the file it came from
    dropped: list[dict[str, Any]] = field(default_factory=list)


def decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise MaestroError({"file": f"The file is larger than {MAX_BYTES // 1024} KB."})
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MaestroError(
            {"file": f"The file is not UTF-8 text (byte {exc.start} is not valid)."}
        ) from None


def documents(text: str, where: str = "") -> tuple[MappingNode, SequenceNode]:
    """The config document and the command list, as YAML nodes (their lines)."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise MaestroError({"yaml": f"{where}Not valid YAML{at}: {problem}."}) from None
    nodes = [node for node in nodes if node is not None]
    if len(nodes) == 1 and isinstance(nodes[0], SequenceNode):
        raise MaestroError(
            {
                "config": f"{where}The config document is missing: the file starts with appId: "
                "(or url:) and a line ---, then the commands."
            }
        )
    if len(nodes) != 2:
        raise MaestroError(
            {
                "yaml": f"{where}A Maestro flow is two documents (the config, ---, the commands); "
                f"this file has {len(nodes)}."
            }
        )
    config, commands = nodes
    if not isinstance(config, MappingNode):
        raise MaestroError({"config": f"{where}The config document must be a mapping (appId: …)."})
    if not isinstance(commands, SequenceNode):
        raise MaestroError({"commands": f"{where}The commands must be a list (- tapOn: …)."})
    return config, commands


def value(node: Node) -> Any:
    """A node as plain Python (PyYAML's safe constructor)."""
    try:
        return SafeConstructor().construct_document(node)
    except yaml.YAMLError as exc:
        raise Unsupported(f"its value cannot be read: {exc}") from None


def own_arguments(args: Node | None) -> Any:
    """A runFlow's, repeat's or retry's arguments but its `commands:` (read one by one)."""
    if isinstance(args, MappingNode):
        kept = [
            (key, item) for key, item in args.value if getattr(key, "value", None) != "commands"
        ]
        plain = value(MappingNode(args.tag, kept))
        if len(kept) < len(args.value):
            plain["commands"] = []
        return plain
    return None if args is None else value(args)


class Reader:
    def __init__(self, *, app_id: str, open_file: FileOpener):
        self.app_id = app_id
        self.open_file = open_file
        self.visits = 0
        self.steps: list[dict[str, Any]] = []
        self.lines: list[int] = []
        self.unsupported: list[dict[str, Any]] = []

    def refuse(self, line: int, command: str, reason: str, where: str) -> None:
        entry = {"line": line, "command": command, "reason": reason}
        if where:
            entry["file"] = where
        if entry not in self.unsupported:  # a repeated block is refused once
            self.unsupported.append(entry)

    def commands(self, node: Node, where: str, depth: int) -> None:
        if not isinstance(node, SequenceNode):
            raise Unsupported("its commands must be a list")
        for item in node.value:
            self.command(item, where, depth)

    def command(self, item: Node, where: str, depth: int) -> None:
        self.visits += 1
        if self.visits > MAX_VISITS:
            raise MaestroError({"commands": f"More than {MAX_VISITS} commands to read."})
        line = item.start_mark.line + 1
        if isinstance(item, ScalarNode):
            name, args = str(item.value), None
        elif isinstance(item, MappingNode) and len(item.value) == 1:
            key, args = item.value[0]
            name = str(key.value) if isinstance(key, ScalarNode) else "?"
        else:
            self.refuse(line, "?", "a command is a name or one name: arguments", where)
            return
        try:
            if name in NESTING:  # its own commands are read one by one
                self.nested(name, args, own_arguments(args), where, depth)
                return
            plain = None if args is None else value(args)
            if name not in COMMANDS:
                raise Unsupported(f"Playback has no {name}")
            made = COMMANDS[name](plain, self.app_id)
            flags = step_flags(plain)
            for step in made:
                self.add({**step, **flags}, line)
        except Unsupported as exc:
            self.refuse(line, name, str(exc), where)

    def add(self, step: dict[str, Any], line: int) -> None:
        if len(self.steps) >= MAX_STEPS:
            raise MaestroError(
                {
                    "steps": f"The flow is over {MAX_STEPS} steps once runFlow and repeat are "
                    "inlined."
                }
            )
        self.steps.append(step)
        self.lines.append(line)

    def nested(self, name: str, args: Node | None, plain: Any, where: str, depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise Unsupported(f"more than {MAX_DEPTH} levels of runFlow/repeat/retry")
        if name == "runFlow":
            self.run_flow(args, plain, where, depth)
        elif name == "repeat":
            self.repeat(args, plain, where, depth)
        else:
            self.retry(args, plain, where, depth)

    def inner(self, args: Node | None, key: str) -> Node:
        if isinstance(args, MappingNode):
            for name, node in args.value:
                if isinstance(name, ScalarNode) and name.value == key:
                    return node
        raise Unsupported(f"it needs {key}:")

    def run_flow(self, args: Node | None, plain: Any, where: str, depth: int) -> None:
        if isinstance(plain, str):
            plain = {"file": plain}
        if not isinstance(plain, Mapping):
            raise Unsupported("runFlow takes a file or commands:")
        for key in ("when", "env"):
            if key in plain:
                raise Unsupported(f"runFlow with {key}: (conditions and variables) does not map")
        if "commands" in plain:
            self.commands(self.inner(args, "commands"), where, depth + 1)
            return
        file = plain.get("file")
        if not isinstance(file, str) or not file:
            raise Unsupported("runFlow takes a file or commands:")
        if self.open_file is None:
            raise Unsupported(
                "runFlow of a file: import with manage.py import_flow, which reads the files "
                "beside the flow (or inline its commands:)"
            )
        try:
            text = self.open_file(file)
        except (OSError, ValueError) as exc:
            raise Unsupported(f"{file} cannot be read: {exc}") from None
        try:
            _, commands = documents(text, f"{file}: ")
        except MaestroError as exc:
            raise Unsupported("; ".join(exc.errors.values())) from None
        self.commands(commands, file, depth + 1)

    def repeat(self, args: Node | None, plain: Any, where: str, depth: int) -> None:
        if not isinstance(plain, Mapping) or "while" in plain:
            raise Unsupported("repeat while … (a condition) does not map; repeat: {times: N} does")
        times = plain.get("times")
        if isinstance(times, str) and times.strip().isdigit():
            times = int(times)
        if not isinstance(times, int) or isinstance(times, bool) or not 0 <= times <= MAX_STEPS:
            raise Unsupported(f"repeat times must be a whole number up to {MAX_STEPS}")
        body = self.inner(args, "commands")
        for _ in range(times):
            self.commands(body, where, depth + 1)

    def retry(self, args: Node | None, plain: Any, where: str, depth: int) -> None:
        if not isinstance(plain, Mapping) or "file" in plain:
            raise Unsupported("retry takes maxRetries and commands:")
        retries = plain.get("maxRetries", 1)
        if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 3:
            raise Unsupported("maxRetries must be 0 to 3")
        first = len(self.steps)
        self.commands(self.inner(args, "commands"), where, depth + 1)
        if len(self.steps) - first != 1:
            raise Unsupported("retry around more than one step: Playback retries steps one by one")
        self.steps[first]["retries"] = retries


def config_of(node: MappingNode) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    config: dict[str, Any] = {}
    refused = []
    for key, item in node.value:
        name = str(key.value) if isinstance(key, ScalarNode) else "?"
        if name not in CONFIG_KEYS:
            refused.append(
                {
                    "line": key.start_mark.line + 1,
                    "command": name,
                    "reason": "config keys other than appId, url, name, tags do not map",
                }
            )
            continue
        config[name] = SafeConstructor().construct_document(item)
    return config, refused


def read(
    raw: bytes | str,
    *,
    platform: str | None = None,
    name: str | None = None,
    drop_unsupported: bool = False,
    open_file: FileOpener = None,
) -> Imported:
    """The flow a Maestro file describes; MaestroError for a file that is not one,
    Refused for commands that do not map (unless `drop_unsupported`)."""
    text = decode(raw) if isinstance(raw, bytes) else raw
    config_node, commands = documents(text)
    config, refused = config_of(config_node)
    url, app = config.get("url"), config.get("appId")
    errors: dict[str, str] = {}
    if url is not None and app is not None:
        errors["config"] = "A flow has appId (an app) or url (a web app), not both."
    elif url is not None:
        if platform not in (None, "web"):
            errors["platform"] = f"A flow with url: plays on the web device (got {platform!r})."
        platform, app_id = "web", str(url)
    elif app is not None:
        if platform not in PLATFORMS:
            errors["platform"] = (
                f"Say which device the flow plays on: platform={'|'.join(PLATFORMS)} "
                f"(got {platform!r})."
            )
        app_id = str(app)
    else:
        errors["config"] = "The config document needs appId: (an app) or url: (a web app)."
    flow_name = name or config.get("name")
    if not isinstance(flow_name, str) or not flow_name.strip():
        errors["name"] = "Name the flow: name: in the config document, or name= when importing."
    if errors:
        raise MaestroError(errors)
    reader = Reader(app_id=app_id, open_file=open_file)
    reader.unsupported.extend(refused)
    reader.commands(commands, "", 0)
    if reader.unsupported and not drop_unsupported:
        raise Refused(reader.unsupported)
    tags = config.get("tags") or []
    flow = {
        "name": flow_name.strip(),
        "platform": platform,
        "app_id": app_id,
        "tags": tags,
        "steps": reader.steps,
    }
    return Imported(flow, reader.lines, reader.unsupported)
