'use strict';
/**
 * Screen recording where the driver has none of its own: Appium's
 * `startRecordingScreen` / `stopRecordingScreen` (POST
 * /session/:id/appium/{start,stop}_recording_screen, the routes UiAutomator2 and
 * XCUITest answer themselves) for the simulated device and the web device.
 *
 * One encoder for both: the latest frame is piped into ffmpeg on the Appium host at a
 * steady FPS (`-f image2pipe` at a fixed frame rate, so a frame's time in the video is
 * exactly its time since the start: a step's offset is where it is in the video), and
 * ffmpeg writes WebM (VP8, at most ~1 Mbit/s) to a temporary folder. Nothing but the
 * latest frame is held in memory. The frames are:
 *   - web device: a CDP `Page.startScreencast` of the page (every frame acknowledged),
 *     through the DevTools address chromedriver answers in its session's capabilities
 *     (`goog:chromeOptions.debuggerAddress`); JPEG.
 *   - simulated device: the screens it served (a screenshot at the start, each one a
 *     step took, one at the stop); PNG.
 * Stop answers the video as base64, or uploads it (`remotePath`, HTTP PUT/POST, raw when
 * `fileFieldName` is "", as Appium's own drivers do) and answers "".
 *
 * ffmpeg is `PLAYBACK_FFMPEG` (default: `ffmpeg` on the PATH); when it is missing the
 * start fails with words that say so. A folder left by an Appium that was killed is
 * removed when the plugin loads next.
 */
const {spawn} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {errors} = require('appium/driver');
const {net} = require('appium/support');

const FPS = 10;
const DEFAULT_TIME_LIMIT_S = 180;
const MAX_TIME_LIMIT_S = 4200;
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024; // frames waiting for ffmpeg, beyond which one is dropped
const FOLDER_PREFIX = 'playback-video-';
const CONTENT_TYPE = 'video/webm';

function ffmpegPath() {
  return process.env.PLAYBACK_FFMPEG || 'ffmpeg';
}

/** The ffmpeg to run, or null when it is not installed here. */
function findFfmpeg() {
  const wanted = ffmpegPath();
  const candidates = wanted.includes(path.sep)
    ? [wanted]
    : (process.env.PATH || '').split(path.delimiter).map((dir) => path.join(dir, wanted));
  for (const candidate of candidates) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  return null;
}

/** Folders of recordings whose Appium is gone (killed mid-recording). */
function removeAbandoned() {
  let names = [];
  try {
    names = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(FOLDER_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const folder = path.join(os.tmpdir(), name);
    try {
      const pid = Number(fs.readFileSync(path.join(folder, 'owner'), 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) {
        continue;
      }
      fs.rmSync(folder, {recursive: true, force: true});
    } catch {
      // not ours, or already gone
    }
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function timeLimitOf(options) {
  const asked = Number(options.timeLimit ?? DEFAULT_TIME_LIMIT_S);
  if (!Number.isFinite(asked) || asked <= 0) {
    throw new errors.InvalidArgumentError(
      `timeLimit must be a number of seconds from 1 to ${MAX_TIME_LIMIT_S} (got ${options.timeLimit})`,
    );
  }
  return Math.min(asked, MAX_TIME_LIMIT_S);
}

class Recording {
  /**
   * @param {Buffer} firstFrame the screen at the start (JPEG or PNG, as `codec` says)
   * @param {'mjpeg'|'png'} codec
   */
  constructor(firstFrame, codec, options) {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) {
      throw new errors.UnknownError(
        `ffmpeg is not installed on the Appium host (looked for '${ffmpegPath()}'; set ` +
          'PLAYBACK_FFMPEG or install it: apt-get install ffmpeg), so the screen cannot be recorded',
      );
    }
    this.timeLimitS = timeLimitOf(options);
    this.folder = fs.mkdtempSync(path.join(os.tmpdir(), FOLDER_PREFIX));
    fs.writeFileSync(path.join(this.folder, 'owner'), String(process.pid));
    this.file = path.join(this.folder, 'video.webm');
    this.frame = firstFrame;
    this.written = 0;
    this.lastWritten = null;
    this.dropped = 0;
    this.stderr = '';
    this.stopped = false;
    this.onStop = [];
    const args = [
      '-hide_banner', '-loglevel', 'error',
      '-f', 'image2pipe', '-framerate', String(FPS), '-c:v', codec, '-i', 'pipe:0',
      // VP8 wants even sides; a phone's viewport may be odd (412 x 915)
      '-vf', 'scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p',
      '-c:v', 'libvpx', '-b:v', '1M', '-maxrate', '1M', '-bufsize', '2M',
      // the fastest realtime encoding on one thread: the browser needs the other cores
      '-deadline', 'realtime', '-cpu-used', '16', '-threads', '1', '-auto-alt-ref', '0',
      '-an', '-f', 'webm', this.file,
    ];
    this.process = spawn(ffmpeg, args, {stdio: ['pipe', 'ignore', 'pipe']});
    this.exited = new Promise((resolve) => {
      this.process.on('error', (err) => {
        this.stderr += String(err.message);
        resolve(-1);
      });
      this.process.on('close', (code) => resolve(code));
    });
    this.process.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-2000);
    });
    this.process.stdin.on('error', () => {}); // ffmpeg gone: `close` says why
    this.started = performance.now();
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000 / FPS);
  }

  /** The newest screen: it is what the video shows from the next frame on. */
  show(frame) {
    if (!this.stopped && frame && frame.length) {
      this.frame = frame;
    }
  }

  /** Frames up to now, each the latest screen (the video's clock is the wall's). */
  tick() {
    if (this.stopped) {
      return;
    }
    const elapsedS = (performance.now() - this.started) / 1000;
    const due = Math.floor(Math.min(elapsedS, this.timeLimitS) * FPS) + 1;
    while (this.written < due) {
      this.write();
    }
    if (elapsedS >= this.timeLimitS) {
      this.finishInput(); // the time limit: the video ends here, kept until the stop
    }
  }

  /** One frame of the video: the latest screen. */
  write() {
    if (this.process.stdin.writableLength > MAX_BUFFERED_BYTES) {
      this.dropped += 1; // ffmpeg is behind: this frame repeats the last one it has
    } else {
      this.process.stdin.write(this.frame);
      this.lastWritten = this.frame;
    }
    this.written += 1;
  }

  finishInput() {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    clearInterval(this.timer);
    for (const callback of this.onStop) {
      callback();
    }
    this.process.stdin.end();
  }

  /**
   * Ends the video; its file, once ffmpeg has written all of it. The screen shown last
   * (the one taken at the stop) is the video's last frame even when no frame is due yet.
   */
  async stop() {
    this.tick();
    if (!this.stopped && this.frame !== this.lastWritten) {
      this.write();
    }
    this.finishInput();
    const code = await this.exited;
    if (code !== 0 || !fs.existsSync(this.file)) {
      this.discard();
      throw new errors.UnknownError(
        `ffmpeg could not write the video (exit ${code}): ${this.stderr.trim().slice(-500)}`,
      );
    }
    return this.file;
  }

  discard() {
    this.finishInput();
    if (this.process.exitCode === null) {
      this.process.kill('SIGKILL');
    }
    fs.rmSync(this.folder, {recursive: true, force: true});
  }
}

/** What stop answers: the video as base64, or "" once uploaded to `remotePath`. */
async function deliver(file, options) {
  if (!options.remotePath) {
    return (await fs.promises.readFile(file)).toString('base64');
  }
  const auth = options.user && options.pass ? {user: options.user, pass: options.pass} : undefined;
  await net.uploadFile(file, options.remotePath, {
    method: options.method || 'PUT',
    headers: options.headers,
    fileFieldName: options.fileFieldName,
    formFields: options.formFields,
    auth,
  });
  return '';
}

module.exports = {CONTENT_TYPE, FPS, Recording, deliver, removeAbandoned};
