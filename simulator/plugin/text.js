'use strict';
/**
 * Android's text lookups on the simulated device: the `-android uiautomator`
 * selectors Playback sends for a `text` locator (and only those):
 *   new UiSelector().text("…") | textMatches("…") | description("…") | descriptionMatches("…")
 * with the string a Java literal (\" and \\ escaped). `text` is an element's own text
 * (its typed value, else the text directly inside it), `description` its
 * `contentDesc` attribute; a *Matches selector is a regular expression matched in full.
 */
const {errors} = require('appium/driver');

const SELECTOR = /^new UiSelector\(\)\.(text|textMatches|description|descriptionMatches)\("((?:[^"\\]|\\.)*)"\)$/;

function parseSelector(selector) {
  const found = SELECTOR.exec(String(selector).trim());
  if (!found) {
    throw new errors.InvalidSelectorError(
      `The simulated device knows only UiSelector().text/textMatches/description/descriptionMatches("…") (got ${selector})`,
    );
  }
  const [, method, literal] = found;
  const value = literal.replace(/\\(.)/g, '$1');
  let test = (actual) => actual === value;
  if (method.endsWith('Matches')) {
    let pattern;
    try {
      pattern = new RegExp(`^(?:${value})$`, 'u');
    } catch (e) {
      throw new errors.InvalidSelectorError(`Not a valid regular expression: ${e.message}`);
    }
    test = (actual) => pattern.test(actual);
  }
  return {attribute: method.startsWith('text') ? 'text' : 'description', test};
}

/** An element's own text: its typed value, else the text nodes directly inside it. */
function ownText(driver, node) {
  for (const el of Object.values(driver.elMap)) {
    if (el.node === node && el.getAttr('value')) {
      return el.getAttr('value');
    }
  }
  let text = '';
  for (const child of Array.from(node.childNodes || [])) {
    if (child.nodeType === 3) {
      text += child.nodeValue;
    }
  }
  return text.replace(/\s+/g, ' ').trim();
}

/** The app's nodes the selector finds, in document order. */
function findByText(driver, selector) {
  const {attribute, test} = parseSelector(selector);
  const all = driver.appModel.xpathQuery('//*');
  return (Array.isArray(all) ? all : []).filter((node) => {
    if (node.tagName === 'app') {
      return false;
    }
    const actual = attribute === 'text' ? ownText(driver, node) : node.getAttribute('contentDesc');
    return Boolean(actual) && test(actual);
  });
}

module.exports = {findByText};
