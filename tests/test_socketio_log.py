"""What python-socketio's own log lines become in the server's log: one plain INFO line per client fault."""

from __future__ import annotations

import logging

import pytest
import socketio

from signaling.face_swap_live.socketio_transport import protocol_logger


@pytest.fixture
def sio_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="signaling.socketio")
    return caplog


async def test_an_event_from_a_connection_gone_from_the_namespace_is_one_plain_info_line(sio_log):
    sio = socketio.AsyncServer(async_mode="aiohttp", logger=protocol_logger("socketio-test"))
    # what a client taken over sends before it hears: an event for a namespace it has left
    await sio._handle_event("eio-gone", "/", None, ["process_frame", {"frame": "x"}])
    [record] = sio_log.records
    assert record.levelno == logging.INFO
    assert "None" not in record.getMessage()
    assert "no longer in the namespace" in record.getMessage()
    assert "dropped" in record.getMessage()


def test_a_fault_with_a_traceback_is_one_line_naming_the_exception(sio_log):
    logger = protocol_logger("engineio-test")
    try:
        raise ValueError("bad packet")
    except ValueError:
        logger.exception("packet not handled")
    [record] = sio_log.records
    assert record.levelno == logging.INFO and record.exc_info is None
    assert record.getMessage() == "client fault: packet not handled: ValueError: bad packet"


def test_python_socketio_chatter_under_warning_stays_out_of_the_log(sio_log):
    protocol_logger("chatter-test").info('received event "process_frame" from abc [/]')
    assert sio_log.records == []
