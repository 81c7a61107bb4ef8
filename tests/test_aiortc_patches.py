"""The hooks into aiortc, each checked for its rule (its effect on cost is bench.codecs' job)."""

from __future__ import annotations

from aiortc import rtcrtpsender
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.aiortc_patches import encoders

H264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=102)
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)


class Context:
    """Stands in for a PyAV codec context: records what is assigned to it."""

    def __init__(self) -> None:
        self.options: dict[str, str] = {}
        self.width = 0


def test_x264_gets_its_speed_preset_on_top_of_aiortcs_options():
    encoder = encoders.FastH264Encoder()
    assert encoder.codec is None
    context = Context()
    encoder.codec = context  # what aiortc does on its first frame...
    encoder.codec.options = {"level": "31", "tune": "zerolatency"}  # ...and then this
    encoder.codec.width = 1280  # everything else reaches the context unchanged
    assert context.options == {"level": "31", "tune": "zerolatency", **encoders.X264_OPTIONS}
    assert context.width == 1280 and encoder.codec.width == 1280
    encoder.codec = None  # a new resolution or bitrate: aiortc drops the context
    assert encoder.codec is None


def test_aiortcs_senders_build_the_fast_h264_encoder_and_leave_others_alone(monkeypatch):
    monkeypatch.setattr(rtcrtpsender, "get_encoder", rtcrtpsender.get_encoder)  # restored afterwards
    encoders.install()
    assert isinstance(rtcrtpsender.get_encoder(H264), encoders.FastH264Encoder)
    assert isinstance(rtcrtpsender.get_encoder(VP8), Vp8Encoder)
