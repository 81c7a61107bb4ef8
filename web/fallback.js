// The fallback's sender, for any transport that carries the Face Swap Live events (the demo page's
// /ws WebSocket, or a Socket.IO client): frames go out paced by the answers and by the server's rate
// limit, so a client never waits on a frame the server will not process, and never queues delay.
//
//   const sender = new FallbackSender({ send: (event, data) => ..., grab: () => dataUrlOrNull,
//                                       maxFps: 15, onShown: (img, answer, delayMs) => ... });
//   transport.onmessage = (event, data) => sender.receive(event, data);
//   sender.start(); ... sender.stop();
//
// With `sender.start({ byFrames: true })` the caller calls `sender.frame(now)` from the preview's
// requestVideoFrameCallback: each new camera frame is a chance to send it, the frame sent is the
// one just shown (so its delay is measured from there), and no camera frame is sent twice.
//
// Every frame is answered once: `processed_frame`, or `frame_dropped` when the server will not
// process it; each carries the frame's `id`, which is how the sender matches them.
"use strict";

class FallbackSender {
  constructor({ send, grab, maxFps = 15, maxInFlight = 2, onShown = () => {}, onAnswer = () => {} }) {
    this.send = send;
    this.grab = grab;
    this.maxFps = maxFps;          // the server's --max-fps (0: no limit)
    this.maxInFlight = maxInFlight; // frames sent and not yet answered; more would only queue delay
    this.onShown = onShown;         // a swapped answer decoded and ready to show, with its delay
    this.onAnswer = onAnswer;       // every processed_frame, swapped or not
    this.answerTimeoutMs = 3000;    // a safety net: every frame is answered
    this.rateWindowMs = 1050;       // the server's window is one second; a little slack for jitter
    this.inFlight = new Map();      // frame id -> when that frame was shown in the preview
    this.sentAt = [];
    this.shownAt = [];              // when swapped answers were shown, last 2 s
    this.nextId = 0;
    this.timer = null;
    this.byFrames = false;
    this.frameShownAt = null;       // when the preview showed the frame waiting to be sent
    this.stats = { sent: 0, answers: 0, drops: 0, shown: 0, longestGapMs: 0, lastShownAt: null, delayMs: null };
  }

  start({ byFrames = false } = {}) {
    this.stop();
    this.byFrames = byFrames;
    this.timer = byFrames ? -1 : setInterval(() => this.pump(), 10);
  }

  // A new camera frame is on screen (call from requestVideoFrameCallback, with its `now`).
  frame(now) {
    this.frameShownAt = now;
    this.pump();
  }

  stop() {
    if (this.timer !== -1) clearInterval(this.timer);
    this.timer = null;
    this.inFlight.clear();
    this.sentAt = [];
  }

  // Send a frame if one may go now: few enough unanswered, and under the rate limit.
  pump() {
    if (this.timer === null) return;
    const now = performance.now();
    for (const [id, at] of this.inFlight) if (now - at > this.answerTimeoutMs) this.inFlight.delete(id);
    while (this.sentAt.length && now - this.sentAt[0] > this.rateWindowMs) this.sentAt.shift();
    if (this.byFrames && this.frameShownAt === null) return;  // this frame went already
    if (this.inFlight.size >= this.maxInFlight) return;
    if (this.maxFps > 0) {
      // evenly spaced, not in bursts: a burst would fill the server's window and then wait for it.
      // 10 % slack, so a camera's frame that comes a little early still goes (the window decides)
      const last = this.sentAt[this.sentAt.length - 1];
      if (last !== undefined && now - last < 900 / this.maxFps) return;
      if (this.sentAt.length >= this.maxFps) return;
    }
    const frame = this.grab();
    if (!frame) return;
    const id = this.nextId++;
    const shownAt = this.byFrames ? this.frameShownAt : now;
    if (this.send("process_frame", { frame, id }) === false) return;
    this.frameShownAt = null;
    this.inFlight.set(id, shownAt);
    this.sentAt.push(now);
    this.stats.sent += 1;
  }

  // Hand every received event here; returns whether it was one of the sender's.
  receive(event, data) {
    if (event !== "processed_frame" && event !== "frame_dropped") return false;
    let grabbedAt;
    if (data && data.id !== undefined && this.inFlight.has(data.id)) {
      grabbedAt = this.inFlight.get(data.id);
      this.inFlight.delete(data.id);
    } else {
      this.inFlight.delete(this.inFlight.keys().next().value);  // a server that does not echo ids
    }
    if (event === "frame_dropped") {
      this.stats.drops += 1;
    } else {
      this.stats.answers += 1;
      this.onAnswer(data);
      if (data.success && data.processed) this.decodeThenShow(data, grabbedAt);
    }
    if (!this.byFrames) this.pump();  // by frames, the next camera frame goes
    return true;
  }

  decodeThenShow(data, grabbedAt) {
    const img = new Image();
    img.onload = () => {
      const now = performance.now();
      const stats = this.stats;
      if (stats.lastShownAt !== null) stats.longestGapMs = Math.max(stats.longestGapMs, now - stats.lastShownAt);
      stats.lastShownAt = now;
      stats.shown += 1;
      this.shownAt.push(now);
      // the whole trip, measured: shown in the preview, grabbed, encoded, sent, swapped, sent back,
      // decoded, shown
      if (grabbedAt !== undefined) stats.delayMs = now - grabbedAt;
      this.onShown(img, data, grabbedAt === undefined ? null : now - grabbedAt);
    };
    img.src = data.processed;
  }

  // Swapped frames shown per second over the last two seconds: falls during a stall.
  fps() {
    const now = performance.now();
    while (this.shownAt.length && now - this.shownAt[0] > 2000) this.shownAt.shift();
    return this.shownAt.length / 2;
  }
}

window.FallbackSender = FallbackSender;
