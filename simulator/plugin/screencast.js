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
      const {resolve, reject} = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error) {
        reject(new Error(message.error.message));
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
      this.waiting.set(id, {resolve, reject});
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

/** The page's DevTools WebSocket URL at `debuggerAddress` ("localhost:PORT"). */
async function pageSocketUrl(debuggerAddress) {
  const answer = await fetch(`http://${debuggerAddress}/json/list`, {
    signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
  });
  const targets = await answer.json();
  const page = targets.find((target) => target.type === 'page' && target.webSocketDebuggerUrl);
  if (!page) {
    throw new Error(`no page to record at DevTools ${debuggerAddress}`);
  }
  return page.webSocketDebuggerUrl;
}

/**
 * Starts a screencast; `onFrame(jpeg)` gets every frame. Answers the screen as it is
 * now (the video's first frame) and a function that stops the screencast.
 */
async function startScreencast(debuggerAddress, onFrame) {
  const cdp = new Cdp(await pageSocketUrl(debuggerAddress));
  try {
    const now = await cdp.send('Page.captureScreenshot', {format: 'jpeg', quality: JPEG_QUALITY});
    cdp.on('Page.screencastFrame', ({data, sessionId}) => {
      cdp.send('Page.screencastFrameAck', {sessionId}).catch(() => {});
      onFrame(Buffer.from(data, 'base64'));
    });
    await cdp.send('Page.startScreencast', {format: 'jpeg', quality: JPEG_QUALITY, everyNthFrame: 1});
    const stop = () => {
      cdp.send('Page.stopScreencast').catch(() => {}).finally(() => cdp.close());
    };
    return {first: Buffer.from(now.data, 'base64'), stop};
  } catch (err) {
    cdp.close();
    throw err;
  }
}

module.exports = {startScreencast};
