"""MarkerJitterBuffer: pure logic on synthetic RTP packets."""

from __future__ import annotations

from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from media.aiortc_patches.jitter import MarkerJitterBuffer


def packet(seq: int, timestamp: int, marker: bool, data: bytes) -> RtpPacket:
    p = RtpPacket(payload_type=96, sequence_number=seq, timestamp=timestamp, marker=int(marker))
    p._data = data  # what aiortc's receiver sets after depayloading
    return p


def frame_packets(first_seq: int, timestamp: int, n: int) -> list[RtpPacket]:
    return [packet(first_seq + i, timestamp, i == n - 1, bytes([timestamp % 256, i])) for i in range(n)]


def test_frame_is_handed_on_at_its_marker_packet_not_one_frame_later():
    ours, theirs = MarkerJitterBuffer(capacity=128, is_video=True), JitterBuffer(capacity=128, is_video=True)
    got_ours = [ours.add(p)[1] for p in frame_packets(0, 3000, 3)]
    got_theirs = [theirs.add(p)[1] for p in frame_packets(0, 3000, 3)]
    assert got_ours[:2] == [None, None] and got_ours[2] is not None
    assert got_ours[2].timestamp == 3000 and got_ours[2].data == bytes([184, 0, 184, 1, 184, 2])
    assert got_theirs == [None, None, None]  # aiortc waits for the next frame's first packet


def test_out_of_order_packets_complete_the_frame_when_the_gap_fills():
    jb = MarkerJitterBuffer(capacity=128, is_video=True)
    a, b, c = frame_packets(10, 6000, 3)
    assert jb.add(a)[1] is None
    assert jb.add(c)[1] is None  # the marker is in, the middle packet is not
    frame = jb.add(b)[1]
    assert frame is not None and frame.data == a._data + b._data + c._data


def test_consecutive_frames_each_come_out_once_in_order():
    jb = MarkerJitterBuffer(capacity=128, is_video=True)
    out = []
    seq = 0
    for ts in (0, 3000, 6000, 9000):
        for p in frame_packets(seq, ts, 4):
            frame = jb.add(p)[1]
            if frame is not None:
                out.append(frame.timestamp)
        seq += 4
    assert out == [0, 3000, 6000, 9000]


def test_a_frame_missing_its_marker_packet_is_never_handed_on_incomplete():
    jb = MarkerJitterBuffer(capacity=128, is_video=True)
    a, b, marker = frame_packets(0, 0, 3)
    assert jb.add(a)[1] is None and jb.add(b)[1] is None
    nxt = frame_packets(3, 3000, 2)
    assert jb.add(nxt[0])[1] is None and jb.add(nxt[1])[1] is None  # a gap: wait (as aiortc does)
    frame = jb.add(marker)[1]  # the retransmission fills the gap
    assert frame is not None and frame.timestamp == 0 and frame.data == a._data + b._data + marker._data
    assert jb.add(packet(5, 6000, True, b"x"))[1].timestamp == 3000
