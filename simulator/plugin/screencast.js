'use strict';
/**
 * The web device's screen as frames: a CDP `Page.startScreencast` of the page the
 * session drives, reached through the DevTools address chromedriver answers in the
 * session's capabilities (`goog:chromeOptions.debuggerAddress`; Appium's Chromium
 * driver has no CDP route of its own). Every frame is acknowledged (Chromium sends the
 * next one only then). Headless Chromium; no X server, no window capture.
 */
const WebSocket = require('ws');

const CONNECT_TIMEOUT_MS = 5000;
const JPEG_QUALITY = 70;
const COMMAND_TIMEOUT_MS = 3000;
const ACTIVE_TRIES = 10;
const ACTIVE_PAUSE_MS = 100;

class Cdp {
  constructor(url) {
    this.socket = new WebSocket(url, {perMessageDeflate: false, maxPayload: 64 * 1024 * 1024});
    this.nextId = 1;
    this.waiting = new Map();
    this.listeners = new Map();
    this.opened = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('DevTools did not answer in time')), CONNECT_TIMEOUT_MS);
      this.socket.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    this.socket.on('message', (data) => this.receive(JSON.parse(String(data))));
    this.socket.on('close', () => {
      for (const {reject} of this.waiting.values()) {
        reject(new Error('DevTools closed the connection'));
      }
      this.waiting.clear();
    });
    this.socket.on('error', () => {}); // `close` follows
  }

  receive(message) {
    if (message.id && this.waiting.has(message.id)) {
      const {method, resolve, reject} = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error) {
        reject(new Error(`${method}: ${message.error.message}`));
      } else {
        resolve(message.result);
      }
    } else if (message.method && this.listeners.has(message.method)) {
      this.listeners.get(message.method)(message.params);
    }
  }

  async send(method, params = {}) {
    await this.opened;
    const id = this.nextId++;
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${method}: no answer within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      const settle = (fn) => (value) => {
        clearTimeout(timer);
        fn(value);
      };
      this.waiting.set(id, {method, resolve: settle(resolve), reject: settle(reject)});
      this.socket.send(JSON.stringify({id, method, params}));
    });
  }

  on(method, listener) {
    this.listeners.set(method, listener);
  }

  close() {
    this.socket.terminate();
  }
}

/**
 * The DevTools WebSocket URL of the page the session drives: its window handle is the
 * page's target id in chromedriver (a profile may hold other pages).
 */
async function pageSocketUrl(debuggerAddress, windowHandle) {
  const answer = await fetch(`http://${debuggerAddress}/json/list`, {
    signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
  });
  const pages = (await answer.json()).filter((t) => t.type === 'page' && t.webSocketDebuggerUrl);
  const page = pages.find((t) => t.id === windowHandle) || pages[0];
  if (!page) {
    throw new Error(`no page to record at DevTools ${debuggerAddress}`);
  }
  return page.webSocketDebuggerUrl;
}

/**
 * Starts a screencast of the session's page (`windowHandle`); `onFrame(jpeg)` gets
 * every frame. Answers the screen as it is now (the video's first frame) and a
 * function that stops the screencast.
 */
async function startScreencast(debuggerAddress, windowHandle, onFrame) {
  const cdp = new Cdp(await pageSocketUrl(debuggerAddress, windowHandle));
  try {
    const now = await activeScreen(cdp);
    cdp.on('Page.screencastFrame', ({data, sessionId}) => {
      cdp.send('Page.screencastFrameAck', {sessionId}).catch(() => {});
      onFrame(Buffer.from(data, 'base64'));
    });
    // Every painted frame: skipping some (everyNthFrame) can skip the last one a page
    // paints before it rests, and the video would end on a screen the page left.
    await cdp.send('Page.startScreencast', {format: 'jpeg', quality: JPEG_QUALITY, everyNthFrame: 1});
    const stop = () => {
      cdp.send('Page.stopScreencast').catch(() => {}).finally(() => cdp.close());
    };
    // The screen as it is now: the video's last frame (a screencast sends a frame
    // when the page paints, and now and then stops sending after a navigation).
    const capture = async () => {
      const shot = await cdp.send('Page.captureScreenshot', {format: 'jpeg', quality: JPEG_QUALITY});
      return Buffer.from(shot.data, 'base64');
    };
    return {first: now, stop, capture};
  } catch (err) {
    cdp.close();
    throw err;
  }
}

/**
 * The page's screen now (JPEG). The page is brought to the front first, as
 * chromedriver does before its own screenshots: a background tab paints no frames
 * (a capture would wait forever, a screencast send nothing). A page chromedriver has
 * just opened may not be attached to its renderer yet: asked again.
 */
async function activeScreen(cdp) {
  for (let attempt = 1; ; attempt++) {
    try {
      await cdp.send('Page.bringToFront');
      const now = await cdp.send('Page.captureScreenshot', {format: 'jpeg', quality: JPEG_QUALITY});
      return Buffer.from(now.data, 'base64');
    } catch (err) {
      if (attempt >= ACTIVE_TRIES) {
        throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, ACTIVE_PAUSE_MS));
    }
  }
}

module.exports = {startScreencast};
