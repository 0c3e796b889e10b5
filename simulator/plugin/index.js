'use strict';
/**
 * Appium plugin "playback-sim": gives Appium's fake driver what a phone has.
 *
 * - App lifecycle: `mobile: terminateApp`, `activateApp`, `clearApp`, `queryAppState`
 *   and the matching /appium/device/{terminate_app,activate_app,app_state} routes.
 *   The app's id is the `package` attribute of the app XML's <app> element (any id
 *   is accepted when it has none). `launchMs` on <app> makes a launch take that long
 *   (state 2 until then, 4 after); `failScreenshots="true"` on <app> makes every
 *   screenshot fail.
 * - Staged faults, read from attributes on the app XML's elements:
 *     failFindFirst="N"  the first N lookups since the last launch fail (no such element)
 *     failClickFirst="N" the first N clicks since the last launch fail (invalid element state)
 *     appearAfterMs="T"  not found until T ms after the last launch
 *     visible="false"    (the fake driver's own) clicks fail
 *     hangMs="T"         a click takes T ms (a device that hangs)
 *   Lookups, clicks and typing while the app is not running fail. Launching resets the
 *   fault counters; `clearApp` also resets typed values and click counts (the app's data).
 * - Coordinates: a W3C pointer tap clicks the element whose bounds
 *   (left/top/width/height) hold the point and focuses it; W3C key actions type into
 *   the focused element.
 * - An element's text is its typed value, else the text inside it (for `assert`);
 *   displayed = not `visible="false"` (the fake driver's own).
 * - Keys, back, the keyboard and deep links (device.js); Android's text selectors
 *   (text.js); long presses, double taps and backspaces (gestures.js). Staged on
 *   elements: appearAfterSwipes="N" (hidden until N swipes since launch),
 *   hideAfterMs="T" (displayed until T ms after launch), contentDesc="…" (Android's
 *   content-desc, found by a text locator).
 * - `sim: state` answers the lifecycle counters, so tests can see a restart or a clear.
 * - A session that names no app (`appium:app`) gets the demo app, apps/demo.xml.
 * - Screen recording (`startRecordingScreen` / `stopRecordingScreen`, video.js) for
 *   the simulated device (the screens it served) and the web device (a CDP screencast
 *   of the page, screencast.js); a driver with its own recording answers it itself.
 * - Only the fake driver's sessions are touched: the same server also serves the
 *   web device (the Chromium driver), whose commands pass straight through.
 */
const path = require('path');
const {BasePlugin} = require('appium/plugin');
const {errors} = require('appium/driver');
const {util} = require('appium/support');
const {
  BACKGROUND,
  NOT_INSTALLED,
  NOT_RUNNING,
  SESSIONS,
  appAttr,
  appState,
  assertRunning,
  checkLookup,
  displayedNow,
  intAttr,
  launch,
  newState,
  nodeOf,
  passesLookup,
  pickAppId,
  stateOf,
} = require('./app');
const {applyActions} = require('./gestures');
const {back, focus, hideKeyboard, openLink, pressKey} = require('./device');
const {findByText} = require('./text');
const {forgetSession, rememberWebSession, showFrame, startRecording, stopRecording} = require('./video');

// The strategy Android's text lookups use (text.js answers the ones Playback sends).
const TEXT_STRATEGY = '-android uiautomator';
const DEMO_APP = path.resolve(__dirname, '..', 'apps', 'demo.xml');
const W3C_ELEMENT_KEY = util.W3C_WEB_ELEMENT_IDENTIFIER;
// Commands for every session, not only the fake driver's.
const ANY_SESSION = new Set(['createSession', 'deleteSession', 'startRecordingScreen', 'stopRecordingScreen']);

class PlaybackSimPlugin extends BasePlugin {
  // The routes UiAutomator2 and XCUITest define for themselves (Appium 3 has no
  // recording route of its own).
  static newMethodMap = {
    '/session/:sessionId/appium/start_recording_screen': {
      POST: {command: 'startRecordingScreen', payloadParams: {optional: ['options']}},
    },
    '/session/:sessionId/appium/stop_recording_screen': {
      POST: {command: 'stopRecordingScreen', payloadParams: {optional: ['options']}},
    },
  };

  static executeMethodMap = {
    'mobile: terminateApp': {
      command: 'simTerminateApp',
      params: {optional: ['appId', 'bundleId', 'timeout']},
    },
    'mobile: activateApp': {
      command: 'simActivateApp',
      params: {optional: ['appId', 'bundleId', 'arguments', 'environment']},
    },
    'mobile: queryAppState': {
      command: 'simQueryAppState',
      params: {optional: ['appId', 'bundleId']},
    },
    'mobile: clearApp': {
      command: 'simClearApp',
      params: {optional: ['appId', 'bundleId']},
    },
    'mobile: pressKey': {
      command: 'simPressKey',
      params: {required: ['keycode'], optional: ['metastate', 'flags', 'isLongPress']},
    },
    'mobile: hideKeyboard': {command: 'simHideKeyboard', params: {optional: ['keys']}},
    'mobile: isKeyboardShown': {command: 'simIsKeyboardShown'},
    'mobile: deepLink': {
      command: 'simDeepLink',
      params: {required: ['url'], optional: ['package', 'waitForLaunch']},
    },
    'sim: state': {command: 'simState'},
  };

  async createSession(next, driver, ...args) {
    // W3C capabilities: {alwaysMatch, firstMatch}; `next` sees these same objects.
    const fake = args.some((caps) => isFake(caps));
    if (!fake) {
      const result = await next();
      rememberWebSession(result);
      return result;
    }
    for (const caps of args) {
      if (caps && typeof caps === 'object' && caps.alwaysMatch) {
        const named = [caps.alwaysMatch, ...(caps.firstMatch || [])].some(
          (c) => c && (c['appium:app'] || c.app),
        );
        if (!named) {
          caps.alwaysMatch['appium:app'] = DEMO_APP;
        }
      }
    }
    const result = await next();
    // The umbrella driver answers {protocol, value: [sessionId, caps]}.
    const value = result && result.value;
    const sessionId = Array.isArray(value) ? value[0] : null;
    if (sessionId) {
      SESSIONS.set(sessionId, newState());
    }
    return result;
  }

  async deleteSession(next, driver, ...args) {
    forgetSession(driver.sessionId);
    SESSIONS.delete(driver.sessionId);
    return await next();
  }

  // --- screen recording (video.js) ----------------------------------------------
  async startRecordingScreen(next, driver, options = {}) {
    return await startRecording(next, driver, options || {});
  }

  async stopRecordingScreen(next, driver, options = {}) {
    return await stopRecording(next, driver, options || {});
  }

  async execute(next, driver, script, args) {
    return await this.executeMethod(next, driver, script, args);
  }

  // --- app lifecycle -------------------------------------------------------
  async simTerminateApp(next, driver, appId, bundleId) {
    const id = pickAppId(appId, bundleId);
    if (appState(driver, id) <= NOT_RUNNING) {
      return false;
    }
    const state = stateOf(driver);
    state.running = false;
    state.background = false;
    state.keyboardShown = false;
    state.terminations += 1;
    driver.focusedElId = null;
    return true;
  }

  async simActivateApp(next, driver, appId, bundleId) {
    const id = pickAppId(appId, bundleId);
    const current = appState(driver, id);
    if (current === NOT_INSTALLED) {
      throw new errors.InvalidArgumentError(`The application '${id}' is not installed on the device`);
    }
    if (current === NOT_RUNNING) {
      launch(driver);
    } else if (current === BACKGROUND) {
      stateOf(driver).background = false;
    }
    return null;
  }

  async simQueryAppState(next, driver, appId, bundleId) {
    return appState(driver, pickAppId(appId, bundleId));
  }

  async simClearApp(next, driver, appId, bundleId) {
    const id = pickAppId(appId, bundleId);
    if (appState(driver, id) === NOT_INSTALLED) {
      throw new errors.InvalidArgumentError(`The application '${id}' is not installed on the device`);
    }
    // Clearing data stops the app, as `pm clear` does.
    const state = stateOf(driver);
    state.running = false;
    state.clears += 1;
    for (const el of Object.values(driver.elMap)) {
      el.attrs = {};
    }
    driver.focusedElId = null;
    return true;
  }

  async simState(next, driver) {
    const state = stateOf(driver);
    const counters = ['running', 'launchedAt', 'launches', 'terminations', 'clears', 'taps'];
    counters.push('swipes', 'longPresses', 'doubleTaps', 'backs', 'keys', 'links');
    counters.push('keyboardShown', 'background');
    return {
      ...Object.fromEntries(counters.map((name) => [name, state[name]])),
      appId: appAttr(driver, 'package'),
    };
  }

  // --- what a phone has besides the app's screen (device.js) -------------------
  async simPressKey(next, driver, keycode) {
    await pressKey(driver, keycode);
    return null;
  }

  async simHideKeyboard(next, driver) {
    return hideKeyboard(driver);
  }

  async simIsKeyboardShown(next, driver) {
    return stateOf(driver).keyboardShown;
  }

  async simDeepLink(next, driver, url, pkg) {
    openLink(driver, url, pkg);
    return null;
  }

  async back(next, driver) {
    back(driver);
    return null;
  }

  async terminateApp(next, driver, ...args) {
    return await this.simTerminateApp(next, driver, pickAppId(...args));
  }

  async activateApp(next, driver, ...args) {
    return await this.simActivateApp(next, driver, pickAppId(...args));
  }

  async queryAppState(next, driver, ...args) {
    return await this.simQueryAppState(next, driver, pickAppId(...args));
  }

  // --- lookups and interactions --------------------------------------------
  async findElement(next, driver, strategy, selector) {
    assertRunning(driver, errors.NoSuchElementError);
    if (strategy === TEXT_STRATEGY) {
      const nodes = findByText(driver, selector);
      if (!nodes.length) {
        throw new errors.NoSuchElementError();
      }
      checkLookup(driver, nodes[0]);
      return driver.wrapNewEl(nodes[0]);
    }
    const found = await next();
    checkLookup(driver, nodeOf(driver, found[W3C_ELEMENT_KEY]));
    return found;
  }

  async findElementFromElement(next, driver) {
    return await this.findElement(next, driver);
  }

  async findElements(next, driver, strategy, selector) {
    assertRunning(driver, errors.NoSuchElementError);
    if (strategy === TEXT_STRATEGY) {
      return findByText(driver, selector)
        .filter((node) => passesLookup(driver, node))
        .map((node) => driver.wrapNewEl(node));
    }
    const found = await next();
    return found.filter((ref) => passesLookup(driver, nodeOf(driver, ref[W3C_ELEMENT_KEY])));
  }

  async findElementsFromElement(next, driver) {
    return await this.findElements(next, driver);
  }

  async elementDisplayed(next, driver, elementId) {
    return displayedNow(driver, nodeOf(driver, elementId)) && (await next());
  }

  async click(next, driver, elementId) {
    assertRunning(driver, errors.StaleElementReferenceError);
    const node = nodeOf(driver, elementId);
    const state = stateOf(driver);
    const failFirst = intAttr(node, 'failClickFirst');
    const seen = state.clicks.get(node) || 0;
    state.clicks.set(node, seen + 1);
    if (seen < failFirst) {
      throw new errors.InvalidElementStateError(
        `Click ${seen + 1} of ${failFirst} staged to fail (failClickFirst)`,
      );
    }
    const hang = intAttr(node, 'hangMs');
    if (hang) {
      await new Promise((resolve) => setTimeout(resolve, hang));
    }
    const result = await next();
    focus(driver, elementId);
    return result;
  }

  async setValue(next, driver, keys, elementId) {
    assertRunning(driver, errors.StaleElementReferenceError);
    const result = await next();
    focus(driver, elementId);
    return result;
  }

  // An element's text: its typed value, else the text inside it in the app XML.
  async getText(next, driver, elementId) {
    const value = await next();
    if (value) {
      return value;
    }
    return String(nodeOf(driver, elementId).textContent || '').trim();
  }

  async getScreenshot(next, driver) {
    if (appAttr(driver, 'failScreenshots') === 'true') {
      throw new errors.UnableToCaptureScreen('Screen capture failed (staged failScreenshots)');
    }
    const shot = await next();
    showFrame(driver.sessionId, shot); // a frame of the simulated device's video
    return shot;
  }

  async performActions(next, driver, actions) {
    assertRunning(driver, errors.InvalidElementStateError);
    await applyActions(driver, actions);
    return await next();
  }
}

function isFake(caps) {
  if (!caps || typeof caps !== 'object' || !caps.alwaysMatch) {
    return false;
  }
  return [caps.alwaysMatch, ...(caps.firstMatch || [])].some(
    (c) => c && String(c['appium:automationName'] || '').toLowerCase() === 'fake',
  );
}

// Every command but ANY_SESSION's acts on the fake driver's sessions only.
for (const name of Object.getOwnPropertyNames(PlaybackSimPlugin.prototype)) {
  const own = PlaybackSimPlugin.prototype[name];
  if (name === 'constructor' || ANY_SESSION.has(name) || typeof own !== 'function') {
    continue;
  }
  PlaybackSimPlugin.prototype[name] = async function (next, driver, ...args) {
    if (!SESSIONS.has(driver.sessionId)) {
      return await next();
    }
    return await own.call(this, next, driver, ...args);
  };
}

module.exports = {PlaybackSimPlugin};
