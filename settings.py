"""Deployment settings: every field is a command-line flag and a FACESWAP_<NAME> environment variable.

The flag wins over the environment, the environment over the default. `python server.py --help`
lists them all with their defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MB = 1024 * 1024


def _opt(default: Any, help: str, choices: Sequence[str] | None = None) -> Any:
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class Settings:
    host: str = _opt("127.0.0.1", "address to listen on (0.0.0.0 exposes the server to the network)")
    port: int = _opt(8080, "TCP port")
    engine: str = _opt("auto", "face-swap engine; auto picks the best one whose model files are present",
                       ("auto", "mesh", "inswapper"))
    max_faces: int = _opt(4, "most faces swapped in one frame")
    workers: int = _opt(0, "engine worker threads, each with its own engine; sessions are spread over "
                        "them (0: automatic, the cores this process may use for mesh, 1 for inswapper: "
                        "set one per GPU)")
    engine_processes: int = _opt(0, "1: each worker's engine runs in a process of its own, so several "
                                 "workers use several cores (the engine's own Python holds the "
                                 "interpreter's lock: two workers in threads swap about 1.3 times the "
                                 "frames of one, as processes about 1.9); 0: in threads of this process")
    weights_dir: str = _opt("models/weights", "folder of model files (inswapper_128.onnx, buffalo_l/)")
    provider: str = _opt("auto", "onnxruntime execution provider for inswapper: auto (CUDA when it "
                         "loads, else CPU) or cpu", ("auto", "cpu"))
    mouth_mask: int = _opt(0, "inswapper: 1 keeps the target's own mouth (lip-sync)")
    shape_fit: str = _opt("flat", "mesh: how the source's face shape is fitted to a turned head: flat (a 2D "
                          "fit; the nose is drawn nearer the face's middle than the head's own, which "
                          "face recognizers read as more like the source) or depth (FaceMesh's depth "
                          "taken in: the nose stays on the head's own, with no dark band beside it)",
                          ("flat", "depth"))
    occlusion: str = _opt("hands", "what the swap leaves in front of a face: hands (mediapipe's hand "
                          "models, run when a hand is near a face and every fifth frame otherwise), auto "
                          "(hands, and anything else that covers a face the stream saw uncovered: a cup, "
                          "a microphone) or off", ("off", "hands", "auto"))
    single_user: str = _opt("takeover", "when a second publisher comes to a channel (any transport): "
                            "takeover (the newcomer wins, so a page reload works) or reject (the "
                            "newcomer is refused until the first one leaves)", ("takeover", "reject"))
    takeover_grace: float = _opt(2.0, "seconds a publisher holds its channel before a newcomer may take it "
                                 "over (clients that reconnect as soon as they are taken over cannot keep "
                                 "everyone from streaming)")
    max_fps: float = _opt(15.0, "frames per second accepted per user from Socket.IO and /ws; excess "
                          "frames are dropped silently (0 = no limit). WebRTC cameras are not limited: "
                          "the engine takes their newest frame whenever it is free")
    idle_timeout: float = _opt(60.0, "seconds without a frame or event before a publisher (any "
                               "transport) is disconnected")
    session_timeout: float = _opt(300.0, "seconds the uploaded source face is kept while nobody is "
                                  "connected by any transport")
    jpeg_quality: int = _opt(80, "JPEG quality of frames sent back on the fallback path (1-100)")
    max_upload_bytes: int = _opt(10 * MB, "largest uploaded image file, bytes")
    max_request_bytes: int = _opt(16 * MB, "largest HTTP request body, bytes (larger is answered 413)")
    max_upload_pixels: int = _opt(25_000_000, "most pixels decoded from an uploaded image (checked before "
                                  "decoding; a JPEG may be up to 64 times larger, as it decodes reduced)")
    max_message_bytes: int = _opt(2 * MB, "largest Socket.IO/WebSocket message, bytes")
    max_frame_pixels: int = _opt(3840 * 2160, "largest video frame, pixels (checked before decoding)")
    max_peers: int = _opt(16, "most simultaneous WebRTC connections (/offer, WHIP, WHEP); more get 503")
    connect_rate: int = _opt(20, "connection attempts one client address may make in 10 s, on every "
                             "transport together (Socket.IO, /ws, /offer, WHIP, WHEP); more are refused")
    max_peers_per_address: int = _opt(8, "most WebRTC connections from one client address (3 of them "
                                      "not yet connected); more get 429. Behind a reverse proxy every "
                                      "client has the proxy's address: raise it there")
    connect_timeout: float = _opt(10.0, "seconds a WebRTC connection may take to connect before it is closed")
    request_timeout: float = _opt(60.0, "seconds an HTTP request may take, its body included (a body sent "
                                  "too slowly is answered 408); WebSocket and Socket.IO connections excepted")
    media_timeout: float = _opt(10.0, "seconds a WebRTC publisher may send no video before it is closed "
                                "(a camera that vanished without a goodbye)")
    video_bitrate: int = _opt(2_500_000, "target bitrate of the swapped video sent over WebRTC, bits/s "
                              "(aiortc's own default, 500 kbps, is too low for 720p)")
    video_codec: str = _opt("auto", "video codec to prefer when answering: auto (H.264 when offered: the "
                            "cheaper encoder at equal quality, see bench.codecs), offer (the offerer's "
                            "order), h264 or vp8", ("auto", "offer", "h264", "vp8"))
    shared_encoding: int = _opt(1, "1: the receivers of a channel that use the same codec share one "
                                "encode (one bitrate, the lowest their estimates allow); 0: one encode "
                                "per receiver, each at its own bitrate")
    stream_token: str = _opt("", "bearer token every WHIP/WHEP/offer client must present (empty = none)")
    stun: str = _opt("", "STUN/TURN server URLs for WebRTC, comma-separated (empty: host candidates "
                     "only, enough on one machine or a LAN)")
    clients: str = _opt("", "Live Face Swap API clients as id:secret,id:secret; with none here, in "
                        "--clients-file or in the store, one pair is created at first start and logged once")
    clients_file: str = _opt("", "file of id:secret lines (an alternative to --clients)")
    db: str = _opt("data/faceswap.sqlite3", "SQLite file for API clients, tokens and session records")
    token_ttl: float = _opt(86400.0, "seconds an API token stays valid")
    api_rate: float = _opt(20.0, "API requests per second per token (more get code 1005; 0 = no limit)")
    api_session_ttl: float = _opt(3600.0, "seconds a live session lasts before it is closed")
    api_max_sessions: int = _opt(16, "most live sessions at once")
    api_sessions_per_client: int = _opt(4, "most live sessions per API client")
    api_images_per_client: int = _opt(50, "most images an API client may keep uploaded")
    fetch_allow: str = _opt("", "hosts, addresses or CIDRs that image URLs may point to although private "
                            "or loopback (comma-separated)")
    fetch_timeout: float = _opt(10.0, "seconds to fetch an image URL")
    cors_origins: str = _opt("", "origins allowed to use Socket.IO from other pages, comma-separated, "
                             "or *; empty = same origin only")
    ssl_cert: str = _opt("", "TLS certificate file (PEM); with --ssl-key, serves https, which phones "
                         "need before a page may use their camera")
    ssl_key: str = _opt("", "TLS private key file (PEM)")
    log_level: str = _opt("info", "log level", ("debug", "info", "warning", "error"))

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.jpeg_quality <= 100:
            problems.append("jpeg_quality must be 1-100")
        if self.max_fps < 0:
            problems.append("max_fps must be >= 0")
        if self.takeover_grace < 0:
            problems.append("takeover_grace must be >= 0")
        if self.workers < 0:
            problems.append("workers must be >= 0 (0: automatic)")
        for name in ("idle_timeout", "session_timeout", "connect_timeout", "request_timeout", "media_timeout",
                     "token_ttl", "api_session_ttl", "fetch_timeout"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be > 0")
        for name in ("max_faces", "max_upload_bytes", "max_request_bytes", "max_upload_pixels",
                     "max_message_bytes", "max_frame_pixels", "max_peers", "max_peers_per_address",
                     "connect_rate", "video_bitrate", "api_max_sessions", "api_sessions_per_client",
                     "api_images_per_client"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1")
        if self.mouth_mask not in (0, 1):
            problems.append("mouth_mask must be 0 or 1")
        if self.shared_encoding not in (0, 1):
            problems.append("shared_encoding must be 0 or 1")
        if self.engine_processes not in (0, 1):
            problems.append("engine_processes must be 0 or 1")
        if bool(self.ssl_cert) != bool(self.ssl_key):
            problems.append("ssl_cert and ssl_key go together")
        for f in dataclasses.fields(self):
            choices = f.metadata.get("choices")
            if choices and getattr(self, f.name) not in choices:
                problems.append(f"{f.name} must be one of {', '.join(choices)}")
        if problems:
            raise ValueError("; ".join(problems))

    # comma-separated settings, parsed once here rather than where they are used
    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        return split_list(self.cors_origins)

    @property
    def stun_urls(self) -> tuple[str, ...]:
        return split_list(self.stun)

    @property
    def fetch_allow_list(self) -> tuple[str, ...]:
        return split_list(self.fetch_allow)


def split_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def env_name(name: str) -> str:
    return "FACESWAP_" + name.upper()


def _convert(kind: type, raw: str, name: str) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"{env_name(name)}={raw!r} is not a valid {kind.__name__}") from None


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="server.py", description="Live face-swap media server.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    kinds = {"int": int, "float": float, "str": str}
    for f in dataclasses.fields(Settings):
        kind = kinds[str(f.type)]
        default = f.default
        if env_name(f.name) in env:
            default = _convert(kind, env[env_name(f.name)], f.name)
        parser.add_argument(
            "--" + f.name.replace("_", "-"), dest=f.name, type=kind, default=default,
            choices=f.metadata.get("choices"), help=f"{f.metadata['help']} [env {env_name(f.name)}]",
        )
    return parser


def parse_settings(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from flags, then FACESWAP_* variables, then defaults."""
    parser = build_parser(os.environ if env is None else env)
    args = parser.parse_args(argv)
    try:
        return Settings(**vars(args))
    except ValueError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits
