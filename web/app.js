// Face Swap Live demo page: upload a source face, send camera frames over the /ws WebSocket
// (the same events as Socket.IO, no client library needed), show the swapped frames and the stats.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_IN_FLIGHT = 2;        // frames sent and not yet answered; more would only queue up delay
const ANSWER_TIMEOUT_MS = 1500; // the server drops frames silently (rate limit), so stop waiting
const FRAME_WIDTH = 640;

const state = { ws: null, stream: null, timer: null, sent: [], answers: [], fps: 15, running: false };

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
    if (sentAt !== undefined) $("rtt").textContent = `${Math.round(now - sentAt)} ms`;
    state.answers.push(now);
    while (state.answers.length && now - state.answers[0] > 2000) state.answers.shift();
    if (data.processed) $("remote").src = data.processed;
    $("frame-note").textContent = data.success ? "" : `(${data.error})`;
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
  try {
    await connect();
  } catch (err) {
    stopCamera();
    showError(err.message);
    return;
  }
  state.running = true;
  $("stop").disabled = false;
  $("path").textContent = "path: WebSocket (live)";
  $("path").classList.add("live");
  state.timer = setInterval(tick, 1000 / state.fps);
}

function stopCamera() {
  state.running = false;
  clearInterval(state.timer);
  state.timer = null;
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  state.stream = null;
  if (state.ws) state.ws.close();
  state.ws = null;
  state.sent = [];
  $("local").srcObject = null;
  $("start").disabled = false;
  $("stop").disabled = true;
  $("path").textContent = "path: WebSocket";
  $("path").classList.remove("live");
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
$("stop").addEventListener("click", stopCamera);
refreshStatus();
setInterval(refreshStatus, 3000);
