// Face Swap Live demo page: upload a source face, then send the camera over WebRTC (/offer: the
// swapped video comes back on the same connection) or, when WebRTC fails or the toggle asks for it,
// as JPEG frames over the /ws WebSocket (the Socket.IO events as JSON, no client library needed).
"use strict";

const $ = (id) => document.getElementById(id);
const FRAME_WIDTH = 640;
const CONNECT_TIMEOUT_MS = 10000;
const state = {
  ws: null, pc: null, stream: null, sender: null, statsTimer: null, tileTimer: null, fps: 15,
  running: false, path: null, processingMs: null,
};
// Each camera frame the preview shows is a chance for the fallback to send it (see fallback.js).
const BY_FRAMES = !!HTMLVideoElement.prototype.requestVideoFrameCallback;
if (BY_FRAMES) {
  const video = $("local");
  const onFrame = (now) => { if (state.sender) state.sender.frame(now); video.requestVideoFrameCallback(onFrame); };
  video.requestVideoFrameCallback(onFrame);
}
// What the page measures, readable by tests and by anyone in the console.
window.faceswapStats = { path: null, delayMs: null, fallback: null, webrtc: null };
if (new URLSearchParams(location.search).get("path") === "ws") $("force-fallback").checked = true;

function showError(message) {
  const el = $("error");
  el.textContent = message || "";
  el.hidden = !message;
}

function verdict(text, kind, notes) {
  const el = $("source-verdict");
  el.textContent = text;
  el.className = "verdict " + (kind || "");
  // what about the photo limits the likeness, as the server's upload answer says it
  const list = $("source-notes");
  list.replaceChildren(...(notes || []).map((note) => {
    const item = document.createElement("li");
    item.textContent = note;
    return item;
  }));
  list.hidden = !(notes && notes.length);
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
    showSourceState(s.source_face_loaded);
    $("dropped").textContent = s.dropped_frames;
  } catch (err) {
    $("server").textContent = "server unreachable";
    $("server").classList.remove("live");
  }
}

// The source card follows the server, whoever changed it (this page, curl, another client, the timeout).
function showSourceState(loaded) {
  const card = $("source-verdict");
  if (loaded && !card.classList.contains("ok")) {
    verdict("A source face is loaded on the server.", "ok");
  } else if (!loaded && card.classList.contains("ok")) {
    verdict("No source face on the server (cleared, or unused for too long). Choose a photo again.", "bad");
    $("source-preview").hidden = true;
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
      verdict(body.message, "ok", Array.isArray(body.notes) ? body.notes : []);
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
  if (state.sender && state.sender.receive(event, data)) return;
  if (event === "status_update") {
    if (/taken over|without activity/i.test(data.message)) showError(data.message);
    refreshStatus();
  } else if (event === "connect_error" || event === "error") {
    showError(data.message);
  }
}

function onAnswer(data) {
  if (!data.success && data.processed) $("remote").src = data.processed;  // the original, unswapped
  $("frame-note").textContent = data.success ? "" : `(${data.error})`;
  $("frame-note").className = "note";
  if (data.stats) {
    $("proc").textContent = `${data.stats.avg_processing_time.toFixed(1)} ms`;
    $("dropped").textContent = data.stats.dropped ?? "–";
  }
}

function onShown(img, data, delayMs) {
  $("remote").src = img.src;
  if (delayMs !== null) {
    window.faceswapStats.delayMs = delayMs;
    $("delay").textContent = `${Math.round(delayMs)} ms`;
    $("rtt").textContent = `${Math.round(delayMs)} ms`;
  }
}

// The fps tile counts what was shown in the last two seconds, every quarter second: a stall shows.
function updateFpsTile() {
  if (state.path === "ws" && state.sender) $("fps").textContent = state.sender.fps().toFixed(1);
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

function setPath(path) {
  state.path = path;
  window.faceswapStats.path = path;
  const live = path !== null;
  const shown = path || ($("force-fallback").checked ? "ws" : "webrtc");
  $("path").textContent = `path: ${shown === "ws" ? "WebSocket" : "WebRTC"}${live ? " (live)" : ""}`;
  $("path").classList.toggle("live", live);
  $("remote-video").hidden = path !== "webrtc";
  $("remote").hidden = path === "webrtc";
  $("rtt-label").textContent = path === "webrtc" ? "network rtt" : "round trip";
  $("delay-label").textContent = path === "webrtc" ? "est. delay" : "delay (preview → shown)";
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
  const pcId = body.pc_id;
  await connected(pc);
  pc.addEventListener("connectionstatechange", () => {
    if (state.pc === pc && ["failed", "closed", "disconnected"].includes(pc.connectionState) && state.running) {
      stopCamera();
      showError(`The WebRTC connection was lost (${pc.connectionState}).`);
    }
  });
  state.statsTimer = setInterval(() => webrtcStats(pc, pcId), 1000);
}

// The WebRTC delay, as an estimate whose every part is named: what the browser's getStats knows (its
// encode, the network round trip, its jitter buffer and decode) and what the server measures (a
// frame's time inside it: queue, conversions, engine; and its encode). The server's decode is not
// measured; it is taken to cost what the browser's does, and the label says so. A decoded frame
// then waits for its render time: libwebrtc adds a fixed render delay (10 ms) that getStats omits.
const RENDER_DELAY_MS = 10;
const previous = {};
function perFrame(key, total, count) {
  const before = previous[key];
  previous[key] = { total, count };
  if (!before || count <= before.count) return null;
  return (1000 * (total - before.total)) / (count - before.count);
}

async function webrtcStats(pc, pcId) {
  const report = await pc.getStats();
  let rtt = null, encode = null, receive = null, decode = null, fps = null;
  report.forEach((s) => {
    if (s.type === "outbound-rtp" && s.kind === "video" && s.framesEncoded) {
      encode = perFrame("encode", s.totalEncodeTime, s.framesEncoded);
    }
    if (s.type === "inbound-rtp" && s.kind === "video" && s.framesDecoded) {
      fps = s.framesPerSecond;
      decode = perFrame("decode", s.totalDecodeTime, s.framesDecoded);
      // first packet received -> decoded: assembly, jitter buffer and decode together (older
      // browsers lack totalProcessingDelay: the jitter buffer's delay plus decode stands in)
      receive = s.totalProcessingDelay !== undefined
        ? perFrame("receive", s.totalProcessingDelay, s.framesDecoded)
        : perFrame("jitter", s.jitterBufferDelay, s.jitterBufferEmittedCount) + (decode || 0);
    }
    if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime * 1000;
  });
  let server = null;
  try {
    const r = await fetch(`/offer/${pcId}/stats`, { cache: "no-store" });
    if (r.ok) server = await r.json();
  } catch (err) { /* the estimate goes without the server's part this time */ }
  if (fps !== undefined && fps !== null) $("fps").textContent = fps.toFixed(1);
  if (rtt !== null) $("rtt").textContent = `${Math.round(rtt)} ms`;
  if (server) $("proc").textContent = `${server.processing_ms.toFixed(1)} ms`;
  if ([rtt, encode, receive, decode].some((v) => v === null) || !server) return;
  const parts = { "camera encode": encode, network: rtt, "server decode (est.)": decode,
                  server: server.server_delay_ms, "jitter buffer + decode": receive,
                  "render delay": RENDER_DELAY_MS };
  // the server's encode is measured when its receivers share one; otherwise taken as the browser's
  if (server.encode_ms !== null && server.encode_ms !== undefined) parts["server encode"] = server.encode_ms;
  else parts["server encode (est.)"] = encode;
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  window.faceswapStats.webrtc = { total, ...parts };
  window.faceswapStats.delayMs = total;
  $("delay").textContent = `≈ ${Math.round(total)} ms`;
  $("delay").title = Object.entries(parts).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join("\n");
  $("frame-note").textContent = "(" + Object.entries(parts).map(([k, v]) => `${k} ${Math.round(v)}`).join(" · ") + " ms)";
  $("frame-note").className = "muted";
}

async function startWebSocket() {
  await connect();
  state.sender = new FallbackSender({ send, grab: grabFrame, maxFps: state.fps, onShown, onAnswer });
  window.faceswapStats.fallback = state.sender.stats;
  state.sender.start({ byFrames: BY_FRAMES });
  state.tileTimer = setInterval(updateFpsTile, 250);
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
  if (state.sender) state.sender.stop();
  state.sender = null;
  clearInterval(state.statsTimer);
  clearInterval(state.tileTimer);
  state.statsTimer = state.tileTimer = null;
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  state.stream = null;
  if (state.ws) state.ws.close();
  if (state.pc) state.pc.close();
  state.ws = state.pc = null;
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
