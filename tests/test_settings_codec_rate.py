"""Pure pieces: settings precedence, image limits, the rate limiter."""

from __future__ import annotations

import base64
import subprocess
import sys

import cv2
import numpy as np
import pytest

from media.codec import ImageRejected, decode_frame, decode_upload, split_data_url
from media.rate import RateLimiter
from settings import Settings, parse_settings
from testing.images import png_header_only


def test_flag_beats_environment_beats_default():
    assert parse_settings([], env={}).port == 8080
    assert parse_settings([], env={"FACESWAP_PORT": "9000"}).port == 9000
    assert parse_settings(["--port", "9100"], env={"FACESWAP_PORT": "9000"}).port == 9100
    s = parse_settings(["--single-user", "reject", "--max-fps", "0"], env={"FACESWAP_IDLE_TIMEOUT": "5"})
    assert (s.single_user, s.max_fps, s.idle_timeout) == ("reject", 0.0, 5.0)
    assert (s.shape_fit, parse_settings(["--shape-fit", "depth"], env={}).shape_fit) == ("flat", "depth")


def test_bad_settings_are_refused_with_the_name(capsys):
    with pytest.raises(SystemExit):
        parse_settings(["--single-user", "share"], env={})
    assert "single-user" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_settings(["--shape-fit", "round"], env={})
    assert "shape-fit" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_settings(["--jpeg-quality", "0"], env={})
    assert "jpeg_quality" in capsys.readouterr().err
    with pytest.raises(ValueError, match="FACESWAP_PORT"):
        parse_settings([], env={"FACESWAP_PORT": "eighty"})
    with pytest.raises(ValueError, match="idle_timeout"):
        Settings(idle_timeout=0)
    with pytest.raises(ValueError, match="engine_processes must be 0 or 1"):
        Settings(engine_processes=2)
    assert parse_settings(["--engine-processes", "1"], env={}).engine_processes == 1


def test_help_lists_every_setting_with_its_environment_variable():
    out = subprocess.run([sys.executable, "server.py", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for flag in ("--host", "--port", "--engine", "--single-user", "--max-fps", "--idle-timeout",
                 "--session-timeout", "--jpeg-quality", "--max-upload-bytes", "--max-request-bytes"):
        assert flag in out
    assert "FACESWAP_SINGLE_USER" in out and "127.0.0.1" in out


def test_pixel_cap_is_checked_before_decoding():
    bomb = png_header_only(20_000, 20_000)  # 400 MP claimed in 60 bytes
    with pytest.raises(ImageRejected, match="too large"):
        decode_frame(bomb, max_pixels=8_000_000)
    with pytest.raises(ImageRejected, match="too large"):
        decode_upload(bomb, max_pixels=40_000_000)


def test_upload_is_turned_upright_by_exif():
    from PIL import Image

    img = Image.new("RGB", (40, 20), (200, 0, 0))
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    import io

    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    assert decode_upload(buf.getvalue(), 10_000).image.shape[:2] == (40, 20)


def test_data_url_parsing():
    raw = cv2.imencode(".png", np.zeros((4, 4, 3), np.uint8))[1].tobytes()
    b64 = base64.b64encode(raw).decode()
    assert split_data_url("data:image/png;base64," + b64, 1000) == raw
    assert split_data_url(b64, 1000) == raw  # bare base64, as some clients send
    with pytest.raises(ImageRejected, match="data URL"):
        split_data_url("data:text/plain,hello", 1000)
    with pytest.raises(ImageRejected, match="too large"):
        split_data_url("data:image/png;base64," + "A" * 5000, 1000)
    with pytest.raises(ImageRejected, match="data URL"):
        split_data_url(["not", "a", "string"], 1000)


def test_rate_limiter_allows_n_per_sliding_second():
    limiter = RateLimiter(15)
    assert sum(limiter.allow(100.0) for _ in range(40)) == 15
    assert not limiter.allow(100.5)
    assert sum(limiter.allow(101.01) for _ in range(40)) == 15


def test_rate_limiter_lets_a_jittery_camera_just_under_the_limit_through():
    limiter = RateLimiter(15)
    rng = np.random.default_rng(1)
    # 10 s of frames at 14 fps, each up to 20 ms early or late
    accepted = sum(limiter.allow(100 + k / 14 + rng.uniform(-0.02, 0.02)) for k in range(150))
    assert accepted == 150


def test_rate_limit_zero_means_unlimited():
    limiter = RateLimiter(0)
    assert all(limiter.allow(100.0) for _ in range(1000))


def test_exposing_an_open_server_is_warned_about_at_start_up():
    from server import exposure_warnings

    assert exposure_warnings(Settings()) == []  # 127.0.0.1
    open_to_all = exposure_warnings(Settings(host="0.0.0.0"))
    assert any("--stream-token" in w for w in open_to_all) and any("TLS" in w for w in open_to_all)
    guarded = exposure_warnings(Settings(host="0.0.0.0", stream_token="x"))
    assert not any("--stream-token" in w for w in guarded)
