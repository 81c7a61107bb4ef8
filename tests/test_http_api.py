"""Upload, status, metrics and the demo page over real HTTP."""

from __future__ import annotations

import gc
import os

import aiohttp
import cv2
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.quality import source_form
from testing.clients import base_of, get_json, upload
from testing.faces import ASTRONAUT_DLIB_BOX, T1_DLIB_BOXES, crop_face
from testing.images import jpeg, png_header_only

pytestmark = pytest.mark.slow


def encoded(image: np.ndarray, ext: str) -> bytes:
    return cv2.imencode(ext, image)[1].tobytes()


async def test_what_the_server_loaded_at_start_is_kept_out_of_the_collectors_full_passes(serve):
    # with the modules and the engine's models in its sight, a full collection held the event loop,
    # and every stream, for 40-110 ms (124-274 ms in this suite's process); frozen at start, it
    # scans only what serving allocates
    gc.unfreeze()
    await serve()
    assert gc.get_freeze_count() > 10_000


@pytest.mark.parametrize("ext", [".jpg", ".png", ".bmp", ".webp"])
async def test_upload_accepts_each_allowed_format(serve, astronaut, ext):
    base = base_of(await serve())
    status, body = await upload(base, encoded(astronaut, ext), filename="face" + ext)
    assert (status, body) == (200, {"success": True, "message": "Source face ready!", "notes": []})
    assert (await get_json(base, "/status"))["source_face_loaded"] is True


async def test_upload_is_judged_by_content_not_by_name(serve, astronaut):
    base = base_of(await serve())
    status, body = await upload(base, encoded(astronaut, ".png"), filename="face.jpg")
    assert status == 200, body
    status, body = await upload(base, b"#!/bin/sh\necho not a photo\n", filename="face.jpg")
    assert status == 400 and body["success"] is False
    assert "Not an image" in body["message"]


async def test_upload_without_a_face_says_no_face_detected(serve):
    base = base_of(await serve())
    status, body = await upload(base, jpeg(np.full((400, 400, 3), 90, np.uint8)))
    assert (status, body) == (400, {"success": False, "message": "No face detected"})
    assert (await get_json(base, "/status"))["source_face_loaded"] is False


async def test_several_photos_of_one_person_are_one_source_and_each_is_checked(serve, astronaut):
    base = base_of(await serve())
    photos = [encoded(astronaut, ".jpg"), encoded(cv2.flip(astronaut, 1), ".jpg")]
    ready = {"success": True, "message": "Source face ready!", "notes": []}
    assert await upload(base, photos) == (200, ready)
    no_face = jpeg(np.full((400, 400, 3), 90, np.uint8))
    status, body = await upload(base, [photos[0], no_face])
    assert (status, body["message"]) == (400, "No face detected (image 2 of 2)")
    status, body = await upload(base, photos * 3)
    assert status == 400 and "At most 4" in body["message"]


async def test_upload_of_a_turned_or_tightly_cropped_photo_says_what_limits_the_likeness(serve, t1,
                                                                                          astronaut):
    """The photo is accepted, and the answer says why the likeness will be weaker and what would do
    better: a face turned far enough to be mirrored (t1.jpg's fifth person, nearly in profile), a
    tight greyscale crop (an ID photo without chin or forehead)."""
    base = base_of(await serve())
    status, body = await upload(base, jpeg(crop_face(t1, T1_DLIB_BOXES["turned"], 0.8)))
    assert status == 200 and body["success"] is True
    assert len(body["notes"]) == 1 and "turned away from the camera" in body["notes"][0], body
    status, body = await upload(base, jpeg(source_form(astronaut, ASTRONAUT_DLIB_BOX, "tight-grey")))
    assert status == 200 and body["success"] is True
    assert ["outside the photo" in n for n in body["notes"]] == [True, False], body
    assert "greyscale" in body["notes"][1]


BAD_UPLOADS = {
    "gif": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "Not an image"),
    "tiff": (cv2.imencode(".tiff", np.zeros((8, 8, 3), np.uint8))[1].tobytes(), "Not an image"),
    "truncated_jpeg": ("TRUNCATED", "Unreadable"),
    "decompression_bomb": (png_header_only(60_000, 60_000), "too large"),
    "empty": (b"", "Empty"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
async def test_bad_uploads_are_400_with_a_reason(serve, astronaut, case):
    base = base_of(await serve())
    body_bytes, reason = BAD_UPLOADS[case]
    if body_bytes == "TRUNCATED":
        body_bytes = jpeg(astronaut)[:4000]
    status, body = await upload(base, body_bytes)
    assert status == 400 and body["success"] is False
    assert reason.lower() in body["message"].lower(), body


async def test_file_over_the_per_file_cap_is_413(serve):
    base = base_of(await serve(max_upload_bytes=1_000_000))
    status, body = await upload(base, os.urandom(1_200_000))
    assert status == 413 and "larger than" in body["message"]


async def test_request_over_16_mb_is_413(serve):
    base = base_of(await serve())
    status, body = await upload(base, os.urandom(17 * 1024 * 1024))
    assert status == 413 and body["success"] is False


async def test_upload_needs_a_multipart_image_field(serve, astronaut):
    base = base_of(await serve())
    async with aiohttp.ClientSession() as http:
        async with http.post(base + "/upload_source", json={"image": "x"}) as r:
            assert r.status == 400 and "multipart" in (await r.json())["message"]
        form = aiohttp.FormData()
        form.add_field("photo", jpeg(astronaut), filename="a.jpg", content_type="image/jpeg")
        async with http.post(base + "/upload_source", data=form) as r:
            assert r.status == 400 and "'image'" in (await r.json())["message"]
        async with http.post(base + "/upload_source", data=b"--x\r\nbroken",
                             headers={"Content-Type": "multipart/form-data; boundary=x"}) as r:
            assert r.status == 400 and (await r.json())["success"] is False


async def test_errors_are_json_without_traces(serve):
    base = base_of(await serve())
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/no/such/page") as r:
            assert r.status == 404 and (await r.json())["success"] is False
        async with http.get(base + "/upload_source") as r:
            assert r.status == 405 and (await r.json())["success"] is False


async def test_status_has_the_seed_fields_and_ours(serve):
    status = await get_json(base_of(await serve()), "/status")
    seed = {"frame_count", "swap_count", "error_count", "avg_processing_time", "source_face_loaded",
            "models_loaded"}
    ours = {"fps", "dropped_frames", "engine", "provider", "uptime_s", "sessions"}
    assert seed | ours <= set(status)
    assert status["models_loaded"] is True and status["engine"] == "mesh"


async def test_metrics_parse_as_prometheus_text(serve, astronaut):
    base = base_of(await serve())
    await upload(base, jpeg(astronaut))
    async with aiohttp.ClientSession() as http, http.get(base + "/metrics") as r:
        assert r.status == 200 and r.content_type == "text/plain"
        families = {f.name: f for f in text_string_to_metric_families(await r.text())}
    for name in ("faceswap_frames", "faceswap_swaps", "faceswap_errors", "faceswap_dropped_frames",
                 "faceswap_processing_seconds", "faceswap_connected_clients", "faceswap_engine_info"):
        assert name in families, name
    uploads = {s.labels["result"]: s.value for s in families["faceswap_source_uploads"].samples
               if s.name.endswith("_total")}
    assert uploads == {"ok": 1.0}
    info = families["faceswap_engine_info"].samples[0].labels
    assert info == {"engine": "mesh", "provider": "mediapipe-cpu"}


async def test_demo_page_and_its_assets_are_served(serve):
    base = base_of(await serve())
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/") as r:
            page = await r.text()
            assert r.status == 200 and "text/html" in r.content_type
        for asset in ("/static/app.js", "/static/style.css"):
            assert asset in page
            async with http.get(base + asset) as r:
                assert r.status == 200 and len(await r.read()) > 200
        async with http.get(base + "/static/../server.py") as r:
            assert r.status in (403, 404)


async def test_https_with_a_certificate(aiohttp_server, mesh_engine, tmp_path):
    """Phones only give a page their camera over https: --ssl-cert/--ssl-key serve it."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from app import create_app
    from server import tls_context
    from settings import Settings

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    settings = Settings(ssl_cert=str(cert_file), ssl_key=str(key_file), db=":memory:")
    server = await aiohttp_server(create_app(settings, engine=mesh_engine), ssl=tls_context(settings))
    assert server.scheme == "https"
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/status"), ssl=False) as r:
        assert r.status == 200 and (await r.json())["models_loaded"] is True
    with pytest.raises(ValueError, match="go together"):
        Settings(ssl_cert=str(cert_file))
