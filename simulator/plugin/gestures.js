'use strict';
/**
 * W3C actions the way a phone reads them: a pointer that barely moves is a tap on the
 * element under it (clicked and focused), held 500 ms or more a long press (its
 * element's `longPresses` counted), two taps in one sequence a double tap; one that
 * moves is a swipe; key actions type into the focused element (backspaces erase).
 */
const {util} = require('appium/support');
const {stateOf} = require('./app');
const {focus, typeKeys} = require('./device');

const W3C_ELEMENT_KEY = util.W3C_WEB_ELEMENT_IDENTIFIER;
// A pointer that moves less than this between down and up is a tap, not a swipe.
const TAP_SLOP_PX = 10;
// Held this long, a tap is a long press.
const LONG_PRESS_MS = 500;

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

function registerTouch(driver, node, counter) {
  const id = driver.wrapNewEl(node)[W3C_ELEMENT_KEY];
  const el = driver.elMap[id];
  el.setAttr(counter, String(Number(el.getAttr(counter) || 0) + 1));
  focus(driver, id);
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
      let taps = 0;
      for (const item of items) {
        if (item.type === 'pointerMove') {
          x = Number(item.x) || 0;
          y = Number(item.y) || 0;
        } else if (item.type === 'pause' && down) {
          down.held += Number(item.duration) || 0;
        } else if (item.type === 'pointerDown') {
          down = {x, y, held: 0};
        } else if (item.type === 'pointerUp' && down) {
          if (Math.abs(x - down.x) <= TAP_SLOP_PX && Math.abs(y - down.y) <= TAP_SLOP_PX) {
            const long = down.held >= LONG_PRESS_MS;
            const node = nodeAt(driver, x, y);
            if (long) {
              state.longPresses += 1;
            } else {
              state.taps += 1;
              taps += 1;
            }
            if (node) {
              registerTouch(driver, node, long ? 'longPresses' : 'clicks');
            }
          } else {
            state.swipes += 1;
            state.swipesSinceLaunch += 1;
          }
          down = null;
        }
      }
      if (taps >= 2) {
        state.doubleTaps += 1;
      }
    } else if (source.type === 'key') {
      const keys = items.filter((item) => item.type === 'keyDown').map((item) => item.value);
      if (keys.length) {
        await typeKeys(driver, keys);
      }
    }
  }
}

module.exports = {applyActions};
