"""Which capabilities a device may set, per platform: an allow-list (plain Python).

A device's capabilities go into the session the Appium server opens on its own
host, as the server's user (root on many lab machines). Some would run a program
there: Chromium's `binary`, `appium:executable`, a launcher switch such as
`--renderer-cmd-prefix`; others load code (`--load-extension`), read or write the
host's files (`--user-data-dir`, `prefs`) or reach other hosts (`proxy`,
`appium:remoteAdbHost`). Only what a lab legitimately sets is allowed: the device's
name, udid and OS version, the automation, the app, timeouts, locale, the phone a
web device emulates, a device farm's own options object. Anything else is refused
by name when a device is saved (API, admin, `add_device`) and again before a
session is opened (a row saved before this rule).

A key without a vendor prefix (`deviceName`) is Appium's (`appium:deviceName`), as
the Appium client sends it; the W3C's own keys keep their names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from playback.words import Platform

# The W3C's own capabilities: sent as they are written, never prefixed.
W3C = {
    "browserName",
    "browserVersion",
    "platformName",
    "acceptInsecureCerts",
    "pageLoadStrategy",
    "proxy",
    "setWindowRect",
    "timeouts",
    "strictFileInteractability",
    "unhandledPromptBehavior",
    "webSocketUrl",
}

# Said of a refused key that is known to be dangerous (why it is refused).
RUNS_A_PROGRAM = "it would run a program on the Appium server's host"
DANGEROUS = {
    "appium:executable": RUNS_A_PROGRAM,
    "appium:executableDir": RUNS_A_PROGRAM,
    "appium:chromedriverExecutable": RUNS_A_PROGRAM,
    "appium:chromedriverExecutableDir": RUNS_A_PROGRAM,
    "appium:chromedriverArgs": RUNS_A_PROGRAM,
    "appium:chromeOptions": RUNS_A_PROGRAM,
    "appium:agentPath": RUNS_A_PROGRAM,
    "appium:bootstrapPath": RUNS_A_PROGRAM,
    "appium:prebuiltWDAPath": RUNS_A_PROGRAM,
    "appium:xcodeConfigFile": RUNS_A_PROGRAM,
    "appium:avdArgs": RUNS_A_PROGRAM,
    "appium:autodownloadEnabled": "it would download and run a chromedriver",
    "appium:options": "write each capability at the top level",
    "appium:remoteAdbHost": "it would reach another host",
    "appium:adbPort": "it would reach another adb server",
    "appium:webDriverAgentUrl": "it would reach another host",
    "appium:chromedriverPort": "the web device picks its own port",
    "appium:keychainPath": "it would read the Appium server's files",
    "appium:keystorePath": "it would read the Appium server's files",
    "appium:logPath": "it would write the Appium server's files",
    "proxy": "it would send the device's traffic elsewhere",
    "platformName": "it is set from the device's platform",
    "browserName": "it is set from the device's platform",
}

# Appium's own keys (without their `appium:` prefix) each platform may set.
NATIVE_COMMON = {
    "app",
    "deviceName",
    "udid",
    "platformVersion",
    "automationName",
    "newCommandTimeout",
    "noReset",
    "fullReset",
    "language",
    "locale",
    "orientation",
    "otherApps",
    "autoLaunch",
    "isHeadless",
    "mjpegServerPort",
    "settings",
    "printPageSourceOnFindFailure",
    "eventTimings",
    "timeZone",
}
ANDROID_KEYS = NATIVE_COMMON | {
    "appPackage",
    "appActivity",
    "appWaitActivity",
    "appWaitPackage",
    "appWaitDuration",
    "appWaitForLaunch",
    "intentAction",
    "intentCategory",
    "intentFlags",
    "optionalIntentArguments",
    "dontStopAppOnReset",
    "autoGrantPermissions",
    "avd",
    "avdLaunchTimeout",
    "avdReadyTimeout",
    "adbExecTimeout",
    "androidInstallTimeout",
    "androidDeviceReadyTimeout",
    "deviceReadyTimeout",
    "uiautomator2ServerLaunchTimeout",
    "uiautomator2ServerInstallTimeout",
    "uiautomator2ServerReadTimeout",
    "systemPort",
    "skipServerInstallation",
    "skipDeviceInitialization",
    "disableWindowAnimation",
    "ignoreHiddenApiPolicyError",
    "enforceAppInstall",
    "allowTestPackages",
    "unlockType",
    "unlockKey",
    "unlockStrategy",
    "hideKeyboard",
    "unicodeKeyboard",
    "resetKeyboard",
    "nativeWebScreenshot",
    "autoWebview",
    "autoWebviewTimeout",
    "ensureWebviewsHavePages",
    "enableMultiWindows",
    "disableSuppressAccessibilityService",
    "mockLocationApp",
    "networkSpeed",
    "gpsEnabled",
    "buildToolsVersion",
}
IOS_KEYS = NATIVE_COMMON | {
    "bundleId",
    "autoAcceptAlerts",
    "autoDismissAlerts",
    "wdaLocalPort",
    "wdaLaunchTimeout",
    "wdaConnectionTimeout",
    "wdaStartupRetries",
    "wdaStartupRetryInterval",
    "useNewWDA",
    "usePrebuiltWDA",
    "updatedWDABundleId",
    "xcodeOrgId",
    "xcodeSigningId",
    "showXcodeLog",
    "simulatorStartupTimeout",
    "connectHardwareKeyboard",
    "includeSafariInWebviews",
    "processArguments",
    "calendarFormat",
    "appLaunchStateTimeoutSec",
    "waitForQuiescence",
    "maxTypingFrequency",
    "webviewConnectTimeout",
    "reduceMotion",
    "permissions",
    "shouldUseSingletonTestManager",
    "forceAppLaunch",
}
APPIUM_KEYS: dict[Platform, set[str]] = {
    Platform.ANDROID: ANDROID_KEYS,
    Platform.IOS: IOS_KEYS,
    Platform.SIM: {"app", "deviceName", "udid", "platformVersion", "newCommandTimeout"},
    Platform.WEB: {"newCommandTimeout"},
}
# W3C keys each platform may set.
W3C_KEYS: dict[Platform, set[str]] = {
    Platform.ANDROID: {"timeouts"},
    Platform.IOS: {"timeouts"},
    Platform.SIM: set(),
    Platform.WEB: {
        "acceptInsecureCerts",
        "pageLoadStrategy",
        "timeouts",
        "unhandledPromptBehavior",
    },
}
# A device farm's own options object (its user name, access key, build name ...):
# read by the farm's grid, not by an Appium server of ours.
FARM_OPTIONS = {
    "bstack:options",
    "sauce:options",
    "lt:options",
    "LT:Options",
    "tb:options",
    "perfecto:options",
    "headspin:capabilities",
}
FARM_PLATFORMS = {Platform.ANDROID, Platform.IOS}

# The web device's Chromium: the phone it emulates and a few harmless switches.
CHROME_OPTIONS = {"mobileEmulation", "args"}
MOBILE_EMULATION = {"deviceName", "deviceMetrics", "userAgent", "clientHints"}
CHROME_SWITCHES = {
    "lang",
    "accept-lang",
    "window-size",
    "force-device-scale-factor",
    "force-dark-mode",
    "blink-settings",
    "ignore-certificate-errors",
    "disable-notifications",
    "disable-popup-blocking",
    "mute-audio",
    "disable-extensions",
    "force-color-profile",
    "font-render-hinting",
    "user-agent",
    "disable-blink-features",
    "hide-scrollbars",
    "disable-gpu",
    "disable-dev-shm-usage",
}
CHROME_DANGEROUS = {
    "binary": RUNS_A_PROGRAM,
    "extensions": "it would load code into the browser",
    "prefs": "it would let the browser write the Appium server's files",
    "localState": "it would change the browser's own state",
    "debuggerAddress": "it would attach to another browser",
    "excludeSwitches": "the web device's own switches stay",
    "minidumpPath": "it would write the Appium server's files",
}
SWITCH_DANGEROUS = {
    "renderer-cmd-prefix": RUNS_A_PROGRAM,
    "utility-cmd-prefix": RUNS_A_PROGRAM,
    "gpu-launcher": RUNS_A_PROGRAM,
    "browser-subprocess-path": RUNS_A_PROGRAM,
    "ppapi-plugin-launcher": RUNS_A_PROGRAM,
    "plugin-launcher": RUNS_A_PROGRAM,
    "load-extension": "it would load code into the browser",
    "user-data-dir": "the web device keeps its own profile",
    "disk-cache-dir": "it would write the Appium server's files",
    "remote-debugging-port": "it would open the browser to other programs",
    "remote-debugging-address": "it would open the browser to other programs",
    "proxy-server": "it would send the device's traffic elsewhere",
    "proxy-pac-url": "it would send the device's traffic elsewhere",
    "host-resolver-rules": "it would send the device's traffic elsewhere",
    "no-sandbox": "the web device sets it itself",
}


def full_name(key: str) -> str:
    """The name Appium receives: `deviceName` is `appium:deviceName`."""
    return key if ":" in key or key in W3C else f"appium:{key}"


def allowed_keys(platform: str) -> list[str]:
    """Every capability a device of `platform` may set, as Appium receives them."""
    platform = Platform(platform)
    keys = {f"appium:{key}" for key in APPIUM_KEYS[platform]} | W3C_KEYS[platform]
    if platform in FARM_PLATFORMS:
        keys |= FARM_OPTIONS
    if platform == Platform.WEB:
        keys.add("goog:chromeOptions")
    return sorted(keys)


def capabilities_problems(platform: str, capabilities: Mapping[str, Any]) -> list[str]:
    """What a device of `platform` may not set in `capabilities`, each named (an empty
    list when all is allowed)."""
    if platform not in tuple(Platform):
        return []  # the platform field says what is wrong
    allowed = set(allowed_keys(platform))
    problems = []
    for key, value in capabilities.items():
        name = full_name(str(key))
        if name not in allowed:
            problems.append(_refused(str(key), DANGEROUS.get(name), platform, allowed))
        elif name == "goog:chromeOptions":
            problems.extend(_chrome_problems(value))
    return problems


def _refused(key: str, why: str | None, platform: str, allowed: set[str]) -> str:
    if why:
        return f"{key!r} is not allowed: {why}."
    return (
        f"{key!r} is not a capability a {platform} device may set. "
        f"Allowed: {', '.join(sorted(allowed))}."
    )


def _chrome_problems(options: Any) -> list[str]:
    where = "goog:chromeOptions"
    if not isinstance(options, Mapping):
        return [f"{where} must be an object."]
    problems = []
    for key, value in options.items():
        if key not in CHROME_OPTIONS:
            why = CHROME_DANGEROUS.get(key) or f"allowed: {', '.join(sorted(CHROME_OPTIONS))}"
            problems.append(f"{where}.{key} is not allowed: {why}.")
        elif key == "mobileEmulation":
            if not isinstance(value, Mapping):
                problems.append(f"{where}.mobileEmulation must be an object.")
                continue
            problems.extend(
                f"{where}.mobileEmulation.{name} is not allowed: allowed: "
                f"{', '.join(sorted(MOBILE_EMULATION))}."
                for name in value
                if name not in MOBILE_EMULATION
            )
        else:
            problems.extend(_switch_problems(value))
    return problems


def _switch_problems(args: Any) -> list[str]:
    where = "goog:chromeOptions.args"
    if not isinstance(args, list):
        return [f"{where} must be a list of switches such as --lang=fr."]
    problems = []
    for arg in args:
        name = arg[2:].split("=", 1)[0] if isinstance(arg, str) and arg.startswith("--") else None
        if name in CHROME_SWITCHES:
            continue
        shown = str(arg)[:80]
        plain = str(arg).lstrip("-").split("=", 1)[0]
        why = SWITCH_DANGEROUS.get(plain) or (
            f"allowed switches: {', '.join('--' + s for s in sorted(CHROME_SWITCHES))}"
        )
        problems.append(f"{where}: {shown!r} is not allowed: {why}.")
    return problems


# Capabilities that are credentials (a farm's access key and user name, a phone's
# unlock PIN): shown as MASK to whoever may not edit devices.
SECRET_NAME = re.compile(r"key|secret|token|pass|pwd|credential|^auth|^user(name)?$", re.I)
MASK = "****"


def masked(value: Any, name: str = "") -> Any:
    """`value` with every credential in it replaced by MASK, at any depth."""
    if isinstance(value, Mapping):
        return {key: masked(inner, str(key).rpartition(":")[2]) for key, inner in value.items()}
    if isinstance(value, list):
        return [masked(inner, name) for inner in value]
    if name and SECRET_NAME.search(name) and value not in (None, ""):
        return MASK
    return value
