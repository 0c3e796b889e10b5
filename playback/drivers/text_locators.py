"""`text` locators, as each platform's automation finds them (plain Python).

The text is always passed as data: a Java string literal in a UiAutomator selector,
an NSPredicate string literal, an argument of the web device's script; never
spliced into an XPath. A regex is matched in full on every platform.
"""

from __future__ import annotations


def _quoted(value: str) -> str:
    """`value` as a double-quoted literal of Java and NSPredicate (backslash escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ui_selector(attribute: str, value: str, *, regex: bool) -> str:
    """Android (UiAutomator2): the elements whose `text` or content-desc
    (`description`) is `value`, or matches it in full (`textMatches`: Java's
    `Pattern.matches`)."""
    method = f"{attribute}Matches" if regex else attribute
    return f"new UiSelector().{method}({_quoted(value)})"


def ios_predicate(value: str, *, regex: bool) -> str:
    """iOS (XCUITest): the elements whose label or name is `value` (or matches it in
    full: MATCHES)."""
    operator = "MATCHES" if regex else "=="
    literal = _quoted(value)
    return f"label {operator} {literal} OR name {operator} {literal}"


# The web device: the innermost displayed elements whose visible text (whitespace
# collapsed) or aria-label is the text, or matches the pattern in full; in document
# order. arguments: the text, whether it is a pattern.
WEB_FIND_TEXT = r"""
const [wanted, isPattern] = arguments;
const pattern = isPattern ? new RegExp('^(?:' + wanted + ')$', 'u') : null;
const same = (text) => {
  if (text == null) return false;
  const shown = String(text).replace(/\s+/g, ' ').trim();
  return pattern ? pattern.test(shown) : shown === wanted.replace(/\s+/g, ' ').trim();
};
const label = (el) => same(el.getAttribute('aria-label'));
const matches = [];
for (const el of document.body ? document.body.querySelectorAll('*') : []) {
  if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
  if (label(el) || same(el.innerText)) matches.push(el);
}
return matches.filter((el) => !matches.some((other) => other !== el && el.contains(other)
  && !label(el)));
"""
