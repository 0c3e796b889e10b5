'use strict';
/**
 * The plugin's screen recording commands (recording.js encodes): which sessions record
 * with us, and from what. A fake driver's session records the screens it serves; a
 * Chromium driver's session records a screencast of its page (screencast.js), found
 * through the DevTools address chromedriver answered when the session was created.
 * A session of any other driver records with its own driver (`next`).
 */
const {Recording, deliver, removeAbandoned} = require('./recording');
const {SESSIONS} = require('./app');
const {startScreencast} = require('./screencast');

// Sessions of the Chromium driver: their DevTools address (what a screencast reads).
const WEB_SESSIONS = new Map();
// Recordings under way, by session id.
const RECORDINGS = new Map();

removeAbandoned();

/** A new session's answer ({value: [sessionId, caps]}): a Chromium one is noted. */
function rememberWebSession(result) {
  const [sessionId, caps] = (result && result.value) || [];
  const chrome = (caps && caps['goog:chromeOptions']) || {};
  if (sessionId && chrome.debuggerAddress) {
    WEB_SESSIONS.set(sessionId, chrome.debuggerAddress);
  }
}

function discard(sessionId) {
  const recording = RECORDINGS.get(sessionId);
  if (recording) {
    RECORDINGS.delete(sessionId);
    recording.discard();
  }
}

/** The session ended: its recording (if any) is dropped with its files. */
function forgetSession(sessionId) {
  discard(sessionId);
  WEB_SESSIONS.delete(sessionId);
}

/** A screen the simulated device served (base64 PNG): the video's latest frame. */
function showFrame(sessionId, base64Png) {
  const recording = RECORDINGS.get(sessionId);
  if (recording) {
    recording.show(Buffer.from(base64Png, 'base64'));
  }
}

async function startRecording(next, driver, options) {
  const sessionId = driver.sessionId;
  const address = WEB_SESSIONS.get(sessionId);
  if (!SESSIONS.has(sessionId) && !address) {
    return await next(); // a driver that records itself
  }
  if (RECORDINGS.has(sessionId)) {
    if (!options.forceRestart) {
      return ''; // already recording, as UiAutomator2 answers
    }
    discard(sessionId);
  }
  let recording = null;
  if (address) {
    const handle = await driver.proxyCommand('/window', 'GET'); // chromedriver's page
    const cast = await startScreencast(address, handle, (jpeg) => recording && recording.show(jpeg));
    try {
      recording = new Recording(cast.first, 'mjpeg', options);
    } catch (err) {
      cast.stop();
      throw err;
    }
    recording.onStop.push(cast.stop);
    recording.capture = cast.capture;
  } else {
    recording = new Recording(Buffer.from(await driver.getScreenshot(), 'base64'), 'png', options);
  }
  RECORDINGS.set(sessionId, recording);
  return '';
}

async function stopRecording(next, driver, options) {
  const sessionId = driver.sessionId;
  if (!SESSIONS.has(sessionId) && !WEB_SESSIONS.has(sessionId)) {
    return await next();
  }
  const recording = RECORDINGS.get(sessionId);
  if (!recording) {
    return ''; // nothing was recording, as UiAutomator2 answers
  }
  RECORDINGS.delete(sessionId);
  try {
    if (SESSIONS.has(sessionId)) {
      recording.show(Buffer.from(await driver.getScreenshot(), 'base64')); // the last screen
    } else if (recording.capture) {
      recording.show(await recording.capture().catch(() => null)); // the page as it is now
    }
    return await deliver(await recording.stop(), options);
  } finally {
    recording.discard();
  }
}

module.exports = {forgetSession, rememberWebSession, showFrame, startRecording, stopRecording};
