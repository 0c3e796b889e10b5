'use strict';
/**
 * W3C actions the way a phone reads them: a pointer that barely moves is a tap on the
 * element under it (clicked and focused), one that moves is a swipe; key actions type
 * into the focused element.
 */
const {errors} = require('appium/driver');
const {util} = require('appium/support');
const {stateOf} = require('./app');

const W3C_ELEMENT_KEY = util.W3C_WEB_ELEMENT_IDENTIFIER;
// A pointer that moves less than this between down and up is a tap, not a swipe.
const TAP_SLOP_PX = 10;

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

module.exports = {applyActions};
