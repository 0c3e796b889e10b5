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
 * - `sim: state` answers the lifecycle counters, so tests can see a restart or a clear.
 */
const {BasePlugin} = require('appium/plugin');
const {errors} = require('appium/driver');
const {util} = require('appium/support');

const W3C_ELEMENT_KEY = util.W3C_WEB_ELEMENT_IDENTIFIER;
const NOT_INSTALLED = 0;
const NOT_RUNNING = 1;
const LAUNCHING = 2;
const FOREGROUND = 4;
// A pointer that moves less than this between down and up is a tap, not a swipe.
const TAP_SLOP_PX = 10;

/** Lifecycle state of the simulated app, one per session. */
const SESSIONS = new Map();

function newState() {
  return {
    running: true,
    launchedAt: Date.now(),
    launches: 1,
    terminations: 0,
    clears: 0,
    taps: 0,
    swipes: 0,
    lookups: new Map(), // XML node -> lookups since the last launch
    clicks: new Map(), // XML node -> clicks since the last launch
  };
}

function stateOf(driver) {
  const key = driver.sessionId || driver;
  let state = SESSIONS.get(key);
  if (!state) {
    state = newState();
    SESSIONS.set(key, state);
  }
  return state;
}

function appNode(driver) {
  const nodes = driver.appModel.xpathQuery('//app');
  return Array.isArray(nodes) && nodes.length ? nodes[0] : null;
}

function appAttr(driver, name) {
  const node = appNode(driver);
  return node && node.getAttribute(name) ? node.getAttribute(name) : '';
}

function intAttr(node, name) {
  const raw = node && node.getAttribute ? node.getAttribute(name) : '';
  const value = parseInt(raw, 10);
  return Number.isFinite(value) ? value : 0;
}

function pickAppId(...candidates) {
  for (const c of candidates) {
    if (typeof c === 'string' && c) {
      return c;
    }
    if (c && typeof c === 'object') {
      const found = pickAppId(c.appId, c.bundleId);
      if (found) {
        return found;
      }
    }
  }
  return '';
}

function isOurApp(driver, appId) {
  const pkg = appAttr(driver, 'package');
  return !pkg || appId === pkg;
}

function appState(driver, appId) {
  if (!isOurApp(driver, appId)) {
    return NOT_INSTALLED;
  }
  const state = stateOf(driver);
  if (!state.running) {
    return NOT_RUNNING;
  }
  const launchMs = intAttr(appNode(driver), 'launchMs');
  return Date.now() - state.launchedAt < launchMs ? LAUNCHING : FOREGROUND;
}

function assertRunning(driver, ErrorClass) {
  if (!stateOf(driver).running) {
    throw new ErrorClass('The app is not running');
  }
}

function launch(driver) {
  const state = stateOf(driver);
  state.running = true;
  state.launchedAt = Date.now();
  state.launches += 1;
  state.lookups = new Map();
  state.clicks = new Map();
}

/** Counts a lookup of `node`; throws when a staged fault says it is not there yet. */
function checkLookup(driver, node) {
  const state = stateOf(driver);
  const appearAfter = intAttr(node, 'appearAfterMs');
  if (appearAfter && Date.now() - state.launchedAt < appearAfter) {
    throw new errors.NoSuchElementError(
      `The element appears ${appearAfter} ms after launch (staged appearAfterMs)`,
    );
  }
  const failFirst = intAttr(node, 'failFindFirst');
  const seen = state.lookups.get(node) || 0;
  state.lookups.set(node, seen + 1);
  if (seen < failFirst) {
    throw new errors.NoSuchElementError(
      `Lookup ${seen + 1} of ${failFirst} staged to fail (failFindFirst)`,
    );
  }
}

function nodeOf(driver, elementId) {
  const el = driver.elMap[elementId];
  if (!el) {
    throw new errors.StaleElementReferenceError();
  }
  return el.node;
}

function passesLookup(driver, node) {
  try {
    checkLookup(driver, node);
    return true;
  } catch {
    return false;
  }
}

/** The innermost element whose bounds hold (x, y), or null. */
function nodeAt(driver, x, y) {
  let hit = null;
  const all = driver.appModel.xpathQuery('//*[@width and @height]');
  for (const node of Array.isArray(all) ? all : []) {
    const left = parseFloat(node.getAttribute('left') || '0');
    const top = parseFloat(node.getAttribute('top') || '0');
    const width = parseFloat(node.getAttribute('width'));
    const height = parseFloat(node.getAttribute('height'));
    if (node.tagName === 'app') {
      continue;
    }
    if (x >= left && x < left + width && y >= top && y < top + height) {
      hit = node; // document order: a later match is nested deeper or drawn on top
    }
  }
  return hit;
}

function registerClick(driver, node) {
  const id = driver.wrapNewEl(node)[W3C_ELEMENT_KEY];
  const el = driver.elMap[id];
  el.setAttr('clicks', String(Number(el.getAttr('clicks') || 0) + 1));
  driver.focusedElId = id;
}

/** Reads W3C pointer/key action sequences the way a phone would: taps, swipes, typing. */
async function applyActions(driver, actions) {
  const state = stateOf(driver);
  for (const source of actions || []) {
    const items = source.actions || [];
    if (source.type === 'pointer') {
      let x = 0;
      let y = 0;
      let down = null;
      for (const item of items) {
        if (item.type === 'pointerMove') {
          x = Number(item.x) || 0;
          y = Number(item.y) || 0;
        } else if (item.type === 'pointerDown') {
          down = {x, y};
        } else if (item.type === 'pointerUp' && down) {
          if (Math.abs(x - down.x) <= TAP_SLOP_PX && Math.abs(y - down.y) <= TAP_SLOP_PX) {
            state.taps += 1;
            const node = nodeAt(driver, x, y);
            if (node) {
              registerClick(driver, node);
            }
          } else {
            state.swipes += 1;
          }
          down = null;
        }
      }
    } else if (source.type === 'key') {
      const text = items
        .filter((item) => item.type === 'keyDown')
        .map((item) => item.value)
        .join('');
      if (text) {
        if (!driver.focusedElId) {
          throw new errors.InvalidElementStateError('No element has the focus to type into');
        }
        const el = driver.elMap[driver.focusedElId];
        await driver.setValue(el.getAttr('value') + text, driver.focusedElId);
      }
    }
  }
}

class PlaybackSimPlugin extends BasePlugin {
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
    'sim: state': {command: 'simState'},
  };

  async createSession(next, driver, ...args) {
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
    SESSIONS.delete(driver.sessionId);
    return await next();
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
    const {running, launchedAt, launches, terminations, clears, taps, swipes} = stateOf(driver);
    return {
      running,
      launchedAt,
      launches,
      terminations,
      clears,
      taps,
      swipes,
      appId: appAttr(driver, 'package'),
    };
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
  async findElement(next, driver) {
    assertRunning(driver, errors.NoSuchElementError);
    const found = await next();
    checkLookup(driver, nodeOf(driver, found[W3C_ELEMENT_KEY]));
    return found;
  }

  async findElementFromElement(next, driver) {
    return await this.findElement(next, driver);
  }

  async findElements(next, driver) {
    assertRunning(driver, errors.NoSuchElementError);
    const found = await next();
    return found.filter((ref) => passesLookup(driver, nodeOf(driver, ref[W3C_ELEMENT_KEY])));
  }

  async findElementsFromElement(next, driver) {
    return await this.findElements(next, driver);
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
    return await next();
  }

  async setValue(next, driver) {
    assertRunning(driver, errors.StaleElementReferenceError);
    return await next();
  }

  async getScreenshot(next, driver) {
    if (appAttr(driver, 'failScreenshots') === 'true') {
      throw new errors.UnableToCaptureScreen('Screen capture failed (staged failScreenshots)');
    }
    return await next();
  }

  async performActions(next, driver, actions) {
    assertRunning(driver, errors.InvalidElementStateError);
    await applyActions(driver, actions);
    return await next();
  }
}

module.exports = {PlaybackSimPlugin};
