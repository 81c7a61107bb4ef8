// Face Swap Live demo page: upload a source face, then send the camera over WebRTC (/offer: the
// swapped video comes back on the same connection) or, when WebRTC fails or the toggle asks for it,
// as JPEG frames over the /ws WebSocket (the Socket.IO events as JSON, no client library needed).
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_IN_FLIGHT = 2;        // frames sent and not yet answered; more would only queue up delay
const ANSWER_TIMEOUT_MS = 1500; // the server drops frames silently (rate limit), so stop waiting
const FRAME_WIDTH = 640;

const CONNECT_TIMEOUT_MS = 10000;
const state = {
  ws: null, pc: null, stream: null, timer: null, statsTimer: null, sent: [], answers: [], fps: 15,
  running: false, path: null, processingMs: null,
};
if (new URLSearchParams(location.search).get("path") === "ws") $("force-fallback").checked = true;

function showError(message) {
  const el = $("error");
  el.textContent = message || "";
  el.hidden = !message;
}

function verdict(text, kind) {
  const el = $("source-verdict");
  el.textContent = text;
  el.className = "verdict " + (kind || "");
}

// -- server status -------------------------------------------------------------------------
async function refreshStatus() {
  try {
    const r = await fetch("/status", { cache: "no-store" });
    const s = await r.json();
    $("server").textContent = `${s.engine} engine · ${s.provider}` + (s.source_face_loaded ? " · source loaded" : "");
    $("server").classList.toggle("live", !!s.models_loaded);
    state.fps = s.max_fps > 0 ? Math.min(s.max_fps, 30) : 30;
    state.processingMs = s.avg_processing_time;
    if (state.path === "webrtc") $("proc").textContent = `${s.avg_processing_time.toFixed(1)} ms`;
    if (!s.source_face_loaded && $("source-verdict").classList.contains("ok")) {
      verdict("The source face was cleared. Choose a photo again.", "bad");
    }
    $("dropped").textContent = s.dropped_frames;
  } catch (err) {
    $("server").textContent = "server unreachable";
    $("server").classList.remove("live");
  }
}

// -- source upload -------------------------------------------------------------------------
async function uploadSource(file) {
  $("source-preview").src = URL.createObjectURL(file);
  $("source-preview").hidden = false;
  verdict("Uploading and looking for a face…");
  const form = new FormData();
  form.append("image", file, file.name);
  try {
    const r = await fetch("/upload_source", { method: "POST", body: form });
    let body = {};
    try { body = await r.json(); } catch (e) { body = { message: `HTTP ${r.status}` }; }
    if (r.ok && body.success) {
      verdict(body.message, "ok");
      showError("");
    } else {
      verdict(body.message || `Upload failed (HTTP ${r.status})`, "bad");
      showError(`Upload refused: ${body.message || r.status}`);
    }
  } catch (err) {
    verdict("Upload failed: the server did not answer.", "bad");
    showError("Upload failed: " + err.message);
  }
  refreshStatus();
}

function send(event, data) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ event, data }));
    return true;
  }
  return false;
}

// -- the frame loop ------------------------------------------------------------------------
function connect() {
  return new Promise((resolve, reject) => {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws`);
    let opened = false;
    ws.onopen = () => { opened = true; resolve(ws); };
    ws.onerror = () => { if (!opened) reject(new Error("cannot reach the server's WebSocket")); };
    ws.onclose = (ev) => {
      if (state.ws === ws && state.running) {
        stopCamera();
        if (!$("error").textContent) showError(`Disconnected from the server${ev.reason ? ": " + ev.reason : ""}.`);
      }
    };
    ws.onmessage = (ev) => onMessage(JSON.parse(ev.data));
    state.ws = ws;
  });
}

function onMessage({ event, data }) {
  if (event === "processed_frame") {
    const now = performance.now();
    const sentAt = state.sent.shift();
    if (sentAt !== undefined) {
      $("rtt").textContent = `${Math.round(now - sentAt)} ms`;
      $("delay").textContent = `${Math.round(now - sentAt)} ms`;  // a frame's whole trip
    }
    state.answers.push(now);
    while (state.answers.length && now - state.answers[0] > 2000) state.answers.shift();
    if (data.processed) $("remote").src = data.processed;
    $("frame-note").textContent = data.success ? "" : `(${data.error})`;
    $("frame-note").className = "note";
    if (data.stats) {
      $("proc").textContent = `${data.stats.avg_processing_time.toFixed(1)} ms`;
      $("dropped").textContent = data.stats.dropped ?? "–";
    }
    $("fps").textContent = state.answers.length > 1
      ? (state.answers.length / ((now - state.answers[0]) / 1000 || 1)).toFixed(1) : "–";
  } else if (event === "status_update") {
    if (/taken over|without activity/i.test(data.message)) showError(data.message);
    refreshStatus();
  } else if (event === "connect_error" || event === "error") {
    showError(data.message);
  }
}

function grabFrame() {
  const video = $("local");
  if (!video.videoWidth) return null;
  const canvas = $("grab");
  const scale = Math.min(1, FRAME_WIDTH / video.videoWidth);
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL("image/jpeg", 0.8);
}

function tick() {
  const now = performance.now();
  while (state.sent.length && now - state.sent[0] > ANSWER_TIMEOUT_MS) state.sent.shift();
  if (state.sent.length >= MAX_IN_FLIGHT) return;
  const frame = grabFrame();
  if (frame && send("process_frame", { frame })) state.sent.push(now);
}

function setPath(path) {
  state.path = path;
  const live = path !== null;
  const shown = path || ($("force-fallback").checked ? "ws" : "webrtc");
  $("path").textContent = `path: ${shown === "ws" ? "WebSocket" : "WebRTC"}${live ? " (live)" : ""}`;
  $("path").classList.toggle("live", live);
  $("remote-video").hidden = path !== "webrtc";
  $("remote").hidden = path === "webrtc";
  $("rtt-label").textContent = path === "webrtc" ? "network rtt" : "round trip";
  $("delay-label").textContent = path === "webrtc" ? "est. delay" : "delay";
}

function gathered(pc) {
  // the server takes no trickled candidates: send the offer once gathering is complete
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && resolve());
    setTimeout(resolve, 3000);
  });
}

function connected(pc) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pc.connectionState === "connected") resolve();
      else if (["failed", "closed"].includes(pc.connectionState)) reject(new Error(`connection ${pc.connectionState}`));
    };
    pc.addEventListener("connectionstatechange", check);
    setTimeout(() => reject(new Error("no connection within 10 s")), CONNECT_TIMEOUT_MS);
    check();
  });
}

async function startWebRTC() {
  if (!window.RTCPeerConnection) throw new Error("this browser has no WebRTC");
  const pc = new RTCPeerConnection();
  state.pc = pc;
  state.stream.getVideoTracks().forEach((t) => pc.addTrack(t, state.stream));
  pc.ontrack = (ev) => { $("remote-video").srcObject = ev.streams[0] || new MediaStream([ev.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const r = await fetch("/offer", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sdp: pc.localDescription.sdp, type: "offer" }),
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `the server answered ${r.status}`);
  await pc.setRemoteDescription({ type: body.type, sdp: body.sdp });
  await connected(pc);
  pc.addEventListener("connectionstatechange", () => {
    if (state.pc === pc && ["failed", "closed", "disconnected"].includes(pc.connectionState) && state.running) {
      stopCamera();
      showError(`The WebRTC connection was lost (${pc.connectionState}).`);
    }
  });
  state.statsTimer = setInterval(() => webrtcStats(pc), 1000);
}

async function webrtcStats(pc) {
  const report = await pc.getStats();
  let rtt = null, jitterMs = 0;
  report.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") {
      if (s.framesPerSecond !== undefined) $("fps").textContent = s.framesPerSecond.toFixed(1);
      if (s.jitterBufferEmittedCount) {
        jitterMs = 1000 * s.jitterBufferDelay / s.jitterBufferEmittedCount;
        $("frame-note").textContent = `(jitter buffer ${Math.round(jitterMs)} ms)`;
        $("frame-note").className = "muted";
      }
    }
    if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime;
  });
  if (rtt !== null) {
    $("rtt").textContent = `${Math.round(rtt * 1000)} ms`;
    // what the browser can see of the trip: network both ways, the server's engine, the jitter buffer
    // (codec time is not in it)
    $("delay").textContent = `≈ ${Math.round(rtt * 1000 + (state.processingMs || 0) + jitterMs)} ms`;
  }
}

async function startWebSocket() {
  await connect();
  state.timer = setInterval(tick, 1000 / state.fps);
}

async function startCamera() {
  showError("");
  $("start").disabled = true;
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (err) {
    $("start").disabled = false;
    showError(`Camera unavailable: ${err.message || err.name}`);
    return;
  }
  $("local").srcObject = state.stream;
  state.running = true;
  $("stop").disabled = false;
  let path = $("force-fallback").checked ? "ws" : "webrtc";
  if (path === "webrtc") {
    try {
      setPath("webrtc");
      await startWebRTC();
    } catch (err) {
      if (state.pc) state.pc.close();
      state.pc = null;
      showError(`WebRTC failed (${err.message}); using the WebSocket fallback.`);
      path = "ws";
    }
  }
  if (path === "ws") {
    try {
      setPath("ws");
      await startWebSocket();
    } catch (err) {
      stopCamera();
      showError(err.message);
      return;
    }
  }
}

function stopCamera() {
  state.running = false;
  clearInterval(state.timer);
  clearInterval(state.statsTimer);
  state.timer = state.statsTimer = null;
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  state.stream = null;
  if (state.ws) state.ws.close();
  if (state.pc) state.pc.close();
  state.ws = state.pc = null;
  state.sent = [];
  $("local").srcObject = null;
  $("remote-video").srcObject = null;
  $("start").disabled = false;
  $("stop").disabled = true;
  setPath(null);
}

$("source-file").addEventListener("change", (ev) => {
  if (ev.target.files.length) uploadSource(ev.target.files[0]);
});
// clear_source is a socket event: without a live connection, open one just for it.
function clearOnce() {
  return new Promise((resolve, reject) => {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws`);
    ws.onopen = () => ws.send(JSON.stringify({ event: "clear_source", data: null }));
    ws.onmessage = (ev) => {
      const { event, data } = JSON.parse(ev.data);
      ws.close();
      if (event === "status_update") resolve(data.message); else reject(new Error(data.message));
    };
    ws.onerror = () => reject(new Error("cannot reach the server's WebSocket"));
  });
}

$("clear-source").addEventListener("click", async () => {
  try {
    if (!send("clear_source")) await clearOnce();
    verdict("Source cleared.", "");
    $("source-preview").hidden = true;
    $("source-file").value = "";
  } catch (err) {
    showError("Could not clear the source: " + err.message);
  }
  refreshStatus();
});
$("start").addEventListener("click", startCamera);
$("force-fallback").addEventListener("change", () => { if (!state.running) setPath(null); });
$("stop").addEventListener("click", stopCamera);
refreshStatus();
setInterval(refreshStatus, 3000);
