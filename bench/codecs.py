"""What aiortc's video encoders cost, and what they deliver, on a face in motion.

    python -m bench.codecs [--size 1280x720] [--bitrate 2500000] [--frames 180]

Each encoder runs as the server's senders run it (aiortc's own encoder classes, RTP payloads out),
at the target bitrate the server sets; the payloads are depayloaded and decoded as a receiver would,
and each decoded frame is compared with the one sent. The table gives CPU milliseconds per frame
(process time, so threads count), the bitrate reached, and PSNR and SSIM of what a viewer gets.
"""

from __future__ import annotations

import argparse
import fractions
import time

import av
import cv2
import numpy as np
from aiortc.codecs import depayload, get_decoder
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from bench.table import pct
from media.aiortc_patches.bitrate import configure_video_bitrate
from media.aiortc_patches.encoders import FastH264Encoder
from testing.faces import faces, video

CODECS = {
    "vp8": RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96),
    "h264": RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=102),
}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-9)))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of the luma (Gaussian window 11, sigma 1.5, as in Wang et al. 2004)."""
    x = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY).astype(np.float64)
    y = cv2.cvtColor(b, cv2.COLOR_BGR2GRAY).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(img: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(img, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


def run(name: str, encoder, codec: str, frames: list[np.ndarray], bitrate: int) -> tuple:
    encoder.target_bitrate = bitrate
    decoder = get_decoder(CODECS[codec])
    cpu_ms, sizes, psnrs, ssims = [], 0, [], []
    for n, image in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts, frame.time_base = n * 3000, fractions.Fraction(1, 90_000)
        started = time.process_time()
        payloads, timestamp = encoder.encode(frame)
        cpu_ms.append((time.process_time() - started) * 1000)
        sizes += sum(len(p) for p in payloads)
        data = b"".join(depayload(CODECS[codec], p) for p in payloads)
        for decoded in decoder.decode(JitterFrame(data, timestamp)):
            if n >= 30:  # after rate control settles
                got = decoded.to_ndarray(format="bgr24")
                psnrs.append(psnr(got, image))
                ssims.append(ssim(got, image))
    kbps = sizes * 8 * 30 / len(frames) / 1000
    return (name, pct(cpu_ms[30:], 50), pct(cpu_ms[30:], 95), kbps, float(np.mean(psnrs)),
            float(np.mean(ssims)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--bitrate", type=int, default=2_500_000)
    ap.add_argument("--frames", type=int, default=180)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    configure_video_bitrate(args.bitrate)  # as the server does: aiortc would clamp VP8 to 1.5 Mbps
    head = faces()["t1-centre"]
    frames = video(head, (w, h), args.frames, h * 0.8 / head.shape[0])
    rows = [
        run("vp8 (aiortc)", Vp8Encoder(), "vp8", frames, args.bitrate),
        run("h264 (aiortc: x264 medium)", H264Encoder(), "h264", frames, args.bitrate),
        run("h264 (ours: x264 ultrafast)", FastH264Encoder(), "h264", frames, args.bitrate),
    ]
    print(f"encoders at {w}x{h}, {args.bitrate / 1e6:g} Mbps target, 30 fps, {args.frames} frames "
          f"of a face in motion\n")
    head_line = f"{'encoder':<30}{'cpu ms p50':>11}{'p95':>7}{'kbit/s':>9}{'PSNR dB':>9}{'SSIM':>8}"
    print(head_line)
    print("-" * len(head_line))
    for name, p50, p95, kbps, db, s in rows:
        print(f"{name:<30}{p50:>11.1f}{p95:>7.1f}{kbps:>9.0f}{db:>9.2f}{s:>8.4f}")


if __name__ == "__main__":
    main()
