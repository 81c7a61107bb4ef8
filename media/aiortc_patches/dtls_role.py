"""Answer offers as the DTLS server, so clients with RSA certificates can connect.

aiortc 1.16 answers an offer's `a=setup:actpass` with `a=setup:active`: it becomes the DTLS client.
Its certificate is ECDSA, and as a client it offers ECDHE-ECDSA cipher suites only. A DTLS server
whose certificate is RSA (GStreamer's webrtcbin, so simple-whip-client and gst-plugins-rs'
whipclientsink; also OBS builds on libdatachannel with RSA keys) finds no suite it can use: the
handshake fails with "no shared cipher" after a 201 answer. As the DTLS server, aiortc picks from the
client's offer, which always includes the suites of its ECDSA certificate. RFC 8842 lets the
answerer take either role; browsers accept both.

aiortc has no API for the role: its answer reads each transport's `_role`, so setting that to
"server" between setRemoteDescription and createAnswer is the whole hook. A role the offer already
fixed (`active` or `passive`) is left as the offer wants it.
"""

from __future__ import annotations

from aiortc import RTCPeerConnection


def answer_as_dtls_server(pc: RTCPeerConnection) -> None:
    """Call after setRemoteDescription(offer) and before createAnswer()."""
    for transceiver in pc.getTransceivers():
        transport = transceiver.receiver.transport
        if transport is not None and transport._role == "auto":  # the offer said actpass
            transport._set_role("server")
