"""In-page measurements for browser tests: frame counters read back from <video> and <img>."""

from __future__ import annotations

# readStamp(el): the frame number stamped (testing/stamps.py) into what `el` shows, drawn at 640x480.
READ_STAMP_JS = """() => {
window.readStamp = (el) => {
  const c = window.__stampCanvas || (window.__stampCanvas = document.createElement('canvas'));
  c.width = 640; c.height = 480;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(el, 0, 0, 640, 480);
  const row = g.getImageData(0, 8, 14 * 16, 1).data;
  let n = 0;
  for (let b = 0; b < 14; b++) if (row[(b * 16 + 8) * 4 + 1] > 127) n |= 1 << b;
  return n;
};
}"""

# Preview -> shown delay of each swapped frame, from presentation times rather than whole frames:
# requestVideoFrameCallback on the camera preview records when each frame number was shown there,
# and on the swapped element when the same number was shown there. Numbers wrap at `wrap` (the
# looped fake camera file); both sides unwrap them by continuity. Samples land in window.delays as
# [when shown (the page's clock), delay].
TRACK_DELAY_JS = """([localId, remoteId, wrap]) => {
  window.delays = [];
  const shownLocal = new Map();
  const unwrapper = () => { let last = null, base = 0;
    return (n) => { if (last !== null && n + base < last - wrap / 2) base += wrap;
                    last = n + base; return last; }; };
  const local = document.getElementById(localId), remote = document.getElementById(remoteId);
  const unLocal = unwrapper(), unRemote = unwrapper();
  const onLocal = (now) => {
    shownLocal.set(unLocal(readStamp(local)), now);
    if (shownLocal.size > 600) shownLocal.delete(shownLocal.keys().next().value);
    local.requestVideoFrameCallback(onLocal);
  };
  local.requestVideoFrameCallback(onLocal);
  const sample = (now) => {
    const n = unRemote(readStamp(remote));
    if (shownLocal.has(n)) window.delays.push([now, now - shownLocal.get(n)]);
  };
  if (remote.requestVideoFrameCallback) {
    const onRemote = (now) => { sample(now); remote.requestVideoFrameCallback(onRemote); };
    remote.requestVideoFrameCallback(onRemote);
  } else {
    remote.addEventListener('load', () => sample(performance.now()));
  }
}"""

# When each new frame was presented on the element with this id (requestVideoFrameCallback), in
# window.presented: a frame rate and the longest wait between frames counted by the page itself.
PRESENTATIONS_JS = """(id) => {
  window.presented = [];
  const el = document.getElementById(id);
  const on = (now) => {
    window.presented.push(now);
    if (window.presented.length > 4000) window.presented.shift();
    el.requestVideoFrameCallback(on);
  };
  el.requestVideoFrameCallback(on);
}"""
