'use strict';
/**
 * What a phone has besides its app's screen, on the simulated device: the keys
 * (`mobile: pressKey` with Android key codes), the back button (W3C back), the
 * soft keyboard (`mobile: hideKeyboard`, `mobile: isKeyboardShown`: shown while an
 * input field has the focus) and deep links (`mobile: deepLink`). Each is counted in
 * the session's state (`sim: state`): backs, keys, links, keyboardShown.
 */
const {errors} = require('appium/driver');
const {NOT_INSTALLED, appState, launch, pickAppId, stateOf} = require('./app');

const KEYCODE_HOME = 3;
const KEYCODE_BACK = 4;
const KEYCODE_DEL = 67;

function focused(driver) {
  return driver.focusedElId ? driver.elMap[driver.focusedElId] : null;
}

/** The element gets the focus (a tap or a click); the keyboard shows for a field. */
function focus(driver, elementId) {
  driver.focusedElId = elementId;
  const el = driver.elMap[elementId];
  stateOf(driver).keyboardShown = Boolean(el && el.type === 'MockInputField');
}

/** Typing into the focused field: characters, backspaces (\uE003), other keys noted. */
async function typeKeys(driver, keys) {
  const el = focused(driver);
  if (!el) {
    throw new errors.InvalidElementStateError('No element has the focus to type into');
  }
  let value = el.getAttr('value');
  for (const key of keys) {
    if (key === '\uE003') {
      value = value.slice(0, -1);
    } else if (key >= '\uE000' && key <= '\uF8FF') {
      stateOf(driver).keys.push(key.charCodeAt(0).toString(16));
    } else {
      value += key;
    }
  }
  await driver.setValue(value, driver.focusedElId);
}

async function pressKey(driver, keycode) {
  const state = stateOf(driver);
  state.keys.push(Number(keycode));
  if (Number(keycode) === KEYCODE_BACK) {
    back(driver);
  } else if (Number(keycode) === KEYCODE_HOME) {
    state.background = true;
    state.keyboardShown = false;
  } else if (Number(keycode) === KEYCODE_DEL && focused(driver)) {
    await typeKeys(driver, ['\uE003']);
  }
}

/** Back closes the keyboard when it shows, as on Android; it is counted either way. */
function back(driver) {
  const state = stateOf(driver);
  state.backs += 1;
  state.keyboardShown = false;
}

function hideKeyboard(driver) {
  stateOf(driver).keyboardShown = false;
  return true;
}

function openLink(driver, url, appId) {
  if (!url) {
    throw new errors.InvalidArgumentError('A deep link needs its url');
  }
  const id = pickAppId(appId);
  if (id && appState(driver, id) === NOT_INSTALLED) {
    throw new errors.InvalidArgumentError(`The application '${id}' is not installed on the device`);
  }
  const state = stateOf(driver);
  state.links.push(url);
  if (!state.running) {
    launch(driver);
  }
  state.background = false;
}

module.exports = {back, focus, hideKeyboard, openLink, pressKey, typeKeys};
