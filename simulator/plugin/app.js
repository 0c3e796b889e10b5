'use strict';
/**
 * The simulated app of one session: its lifecycle state (running, launched when,
 * counters) and the staged faults read from the app XML's attributes.
 */
const {errors} = require('appium/driver');

const NOT_INSTALLED = 0;
const NOT_RUNNING = 1;
const LAUNCHING = 2;
const BACKGROUND = 3;
const FOREGROUND = 4;

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
    swipesSinceLaunch: 0,
    longPresses: 0,
    doubleTaps: 0,
    backs: 0,
    keys: [], // Android key codes pressed, and WebDriver keys typed that are not text
    links: [], // deep links opened
    keyboardShown: false,
    background: false, // sent there by the home key
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
  if (state.background) {
    return BACKGROUND;
  }
  const launchMs = intAttr(appNode(driver), 'launchMs');
  return Date.now() - state.launchedAt < launchMs ? LAUNCHING : FOREGROUND;
}

function assertRunning(driver, ErrorClass) {
  const state = stateOf(driver);
  if (!state.running) {
    throw new ErrorClass('The app is not running');
  }
  if (state.background) {
    throw new ErrorClass('The app is in the background');
  }
}

/** Displayed now: not `visible="false"`, and the staged timing says so:
 *    appearAfterSwipes="N"  hidden until N swipes since the last launch (a list to scroll)
 *    hideAfterMs="T"        displayed until T ms after the last launch (a spinner) */
function displayedNow(driver, node) {
  const state = stateOf(driver);
  if (state.swipesSinceLaunch < intAttr(node, 'appearAfterSwipes')) {
    return false;
  }
  const hideAfter = intAttr(node, 'hideAfterMs');
  return !(hideAfter && Date.now() - state.launchedAt >= hideAfter);
}

function launch(driver) {
  const state = stateOf(driver);
  state.running = true;
  state.launchedAt = Date.now();
  state.launches += 1;
  state.background = false;
  state.swipesSinceLaunch = 0;
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

module.exports = {
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
};
