"""Which Appium servers a device may point at (PLAYBACK_APPIUM_ALLOWED_HOSTS), which
receivers webhooks may be sent to (PLAYBACK_WEBHOOK_ALLOWED_HOSTS), which pages a
web device may open (PLAYBACK_WEB_ALLOWED_HOSTS), and whether an Appium server
answers (`webdriver_status`).

Anyone who may edit devices, webhooks or flows chooses an address that a worker, or
a browser on the Appium server's host, then connects to. Without a limit that is a
way into the network (a cloud's metadata service, the database's port, a page only
that host may read). Each entry is a host name, allowed as it is written, or an
address or network (CIDR); a host name not listed is resolved and every address it
resolves to must be in an allowed network (`public`: any globally routable
address). A link-local or cloud metadata address is never allowed, nor an IPv6
address that carries one of IPv4 (IPv4-mapped, NAT64, 6to4, Teredo): the IPv4
address inside must pass too. Checked when a device (a webhook, a flow) is saved
and again before a session is opened (a delivery is sent, a page is opened): a name
may resolve elsewhere by then.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

# Never allowed, whatever a list says: link-local addresses (169.254.169.254 is the
# metadata service of most clouds) and the other clouds' metadata addresses.
NEVER = [
    ipaddress.ip_network(net)
    for net in ("169.254.0.0/16", "fe80::/10", "100.100.100.200/32", "fd00:ec2::254/128")
]
# Names of metadata services that resolve only inside their cloud.
NEVER_NAMES = {"metadata.google.internal", "metadata.goog", "metadata.azure.internal"}
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, RFC 6052
# and RFC 8215), and the old IPv4-compatible form (::a.b.c.d).
NAT64 = [ipaddress.ip_network(net) for net in ("64:ff9b::/96", "64:ff9b:1::/48")]
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo), if any."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # (server, client): the client is who is reached
    if any(address in net for net in NAT64) or (
        address in IPV4_COMPATIBLE and int(address) > 1  # not :: nor ::1
    ):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _allowed(entries: list[str]) -> tuple[set[str], list, bool]:
    names, networks, public = set(), [], False
    for entry in entries:
        if entry == "public":
            public = True
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return names, networks, public


def url_problem(url: str, allowed: list[str], *, what: str, setting: str) -> str | None:
    """Why `url` may not be used: its host must be a name in `allowed` as written, or
    resolve only to addresses in its networks (or, with the entry `public`, to any
    globally routable address), and never to a link-local or metadata address."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError as exc:  # a port out of range, a malformed IPv6 literal
        return f"Not a valid URL: {exc}."
    if not host:
        return "Must name a host."
    if host in NEVER_NAMES:
        return (
            f"The host {host} is a cloud metadata service: never allowed for {what}, "
            f"whatever {setting} lists."
        )
    names, networks, public = _allowed(allowed)
    if host in names:
        return None
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port or 80, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return f"The host {host} cannot be resolved."
        addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    carried = {a: embedded_ipv4(a) for a in addresses}
    never = sorted(
        str(a)
        for a, inner in carried.items()
        if any(a in net or (inner is not None and inner in net) for net in NEVER)
    )
    if never:
        return (
            f"The host {host} ({', '.join(never)}) is a link-local or cloud metadata "
            f"address: never allowed for {what}, whatever {setting} lists."
        )

    def allowed_address(address: Address) -> bool:
        return any(address in net for net in networks) or (public and address.is_global)

    outside = sorted(
        str(a)
        for a, inner in carried.items()
        if not allowed_address(a) or (inner is not None and not allowed_address(inner))
    )
    if outside:
        return (
            f"The host {host} ({', '.join(outside)}) is not allowed: {what} must be a "
            f"host or network in {setting}."
        )
    return None


def appium_url_problem(url: str) -> str | None:
    """Why a device may not use this Appium URL, or None."""
    return url_problem(
        url,
        settings.PLAYBACK_APPIUM_ALLOWED_HOSTS,
        what="an Appium server",
        setting="PLAYBACK_APPIUM_ALLOWED_HOSTS",
    )


def webhook_url_problem(url: str) -> str | None:
    """Why a webhook may not be sent to this URL, or None (the same rules)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return "Must be an http:// or https:// URL."
    return url_problem(
        url,
        settings.PLAYBACK_WEBHOOK_ALLOWED_HOSTS,
        what="a webhook receiver",
        setting="PLAYBACK_WEBHOOK_ALLOWED_HOSTS",
    )


def web_url_problem(url: str) -> str | None:
    """Why a web device may not open this page (a flow's start URL, `open_link`, or
    where a page ended up after its redirects), or None: http or https (a file: or
    javascript: URL would let a flow read the device's host), and a host that
    PLAYBACK_WEB_ALLOWED_HOSTS allows, by the same rules."""
    if urlsplit(url).scheme not in ("http", "https"):
        return "Must be an http:// or https:// URL."
    return url_problem(
        url,
        settings.PLAYBACK_WEB_ALLOWED_HOSTS,
        what="a web device's page",
        setting="PLAYBACK_WEB_ALLOWED_HOSTS",
    )


def redacted(url: str) -> str:
    """The URL with its credentials (`user:key@`, how device farms are reached)
    replaced by ****: what messages, logs and reports may show."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"****@{host}").geturl()


@dataclass(frozen=True)
class Status:
    """What a server's `GET /status` said: whether it answers as a WebDriver server."""

    answers: bool
    latency_ms: int | None
    problem: str  # in words, never the server's own body


def webdriver_status(url: str, *, timeout_s: float) -> Status:
    """Ask a server's `GET /status`, as Appium and Selenium Grid answer it (JSON with a
    `value` object): whether it answers, how fast, or what went wrong."""
    problem = appium_url_problem(url)
    if problem:
        return Status(False, None, problem)
    started = time.monotonic()
    try:
        response = urllib3.request(
            "GET", f"{url.rstrip('/')}/status", timeout=timeout_s, retries=False
        )
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        # (A refused connection is a NewConnectionError, which urllib3 derives from its
        # ConnectTimeoutError: ask for it first.)
        if isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
            return Status(False, None, "connection refused (is Appium running?)")
        if isinstance(reason, urllib3.exceptions.TimeoutError | TimeoutError):
            return Status(False, None, f"no answer within {timeout_s:g} s")
        return Status(False, None, "the connection was dropped")
    latency = round((time.monotonic() - started) * 1000)
    try:
        answers = isinstance(json.loads(response.data).get("value"), dict)
    except (ValueError, AttributeError):
        answers = False
    if not answers:
        return Status(False, latency, f"it answered HTTP {response.status}, not as Appium does")
    return Status(True, latency, "")


def is_loopback_url(url: str) -> bool:
    """The URL's host is this machine (localhost or a loopback address)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_local_port() -> int:
    """A TCP port nothing listens on here now (the OS's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
