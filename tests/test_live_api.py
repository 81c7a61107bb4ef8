"""The Live Face Swap API over real HTTP: tokens, /detect, live sessions joined over real WebRTC."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from typing import Any

import aiohttp
import cv2
import numpy as np
import pytest
from aiohttp import web

from testing.clients import base_of
from testing.faces import T1_DLIB_BOXES, T1_FACE_BOXES, crop_face, place
from testing.images import jpeg
from testing.rtc_client import FaceCamera, offer, wait_connected
from testing.waits import eventually

pytestmark = pytest.mark.slow

CLIENT = ("tester", "s3cret-value")
P = "/api/open/v3"


async def call(base: str, path: str, body: Any = None, token: str | None = None,
               headers: dict[str, str] | None = None) -> dict[str, Any]:
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as http, http.post(base + path, json=body, headers=h) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def token_for(base: str, client: tuple[str, str] = CLIENT) -> str:
    answer = await call(base, f"{P}/getToken", {"clientId": client[0], "clientSecret": client[1]})
    assert answer["code"] == 1000, answer
    return answer["token"]


def data_uri(image: np.ndarray) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg(image)).decode()


@pytest.fixture
async def api(serve):
    async def start(**changes):
        changes.setdefault("clients", f"{CLIENT[0]}:{CLIENT[1]}")
        server = await serve(**changes)
        base = base_of(server)
        return server, base, await token_for(base)

    return start


async def wait_status(base: str, token: str, session_id: str, want: int, within: float = 15.0) -> dict:
    deadline = time.monotonic() + within
    while True:
        data = (await call(base, f"{P}/faceswap/live/info", {"_id": session_id}, token))["data"]
        if data["faceswap_status"] == want:
            return data
        assert data["faceswap_status"] in (1, 2) or want not in (1, 2), data
        if time.monotonic() > deadline:
            raise AssertionError(f"status stayed {data['faceswap_status']}: {data['msg']}")
        await asyncio.sleep(0.1)


# -- tokens and auth ----------------------------------------------------------------------------
async def test_get_token_and_its_error_codes(api):
    _, base, token = await api()
    assert len(token) > 20
    bad = await call(base, f"{P}/getToken", {"clientId": CLIENT[0], "clientSecret": "wrong"})
    assert bad["code"] == 1101 and "token" not in bad
    unknown = await call(base, f"{P}/getToken", {"clientId": "nobody", "clientSecret": "x"})
    assert unknown["code"] == 1101
    assert (await call(base, f"{P}/getToken", {"clientId": CLIENT[0]}))["code"] == 1003
    assert (await call(base, f"{P}/getToken", ["not", "an", "object"]))["code"] == 1003


async def test_auth_headers_and_their_codes(api, astronaut):
    _, base, token = await api()
    body = {"img": base64.b64encode(jpeg(astronaut)).decode()}
    assert (await call(base, "/detect", body))["error_code"] == 1102
    assert (await call(base, "/detect", body, "not-a-token"))["error_code"] == 1101
    assert (await call(base, "/detect", body, headers={"x-api-key": token}))["error_code"] == 0
    # Authorization wins over x-api-key
    both = await call(base, "/detect", body, "bad", headers={"x-api-key": token})
    assert both["error_code"] == 1101
    assert (await call(base, f"{P}/faceswap/live/info", {"_id": "x"}))["code"] == 1102
    assert (await call(base, f"{P}/faceswap/live/info", "not json{", token))["code"] == 1003


# -- /detect --------------------------------------------------------------------------------------
async def test_detect_base64_answers_in_the_documented_shape(api, astronaut):
    _, base, token = await api()
    img = base64.b64encode(jpeg(astronaut)).decode()
    answer = await call(base, "/detect", {"single_face": True, "img": img}, token)
    assert answer["error_code"] == 0 and answer["error_msg"] == "SUCCESS"
    assert set(answer) == {"error_code", "error_msg", "landmarks", "landmarks_str", "region", "seconds",
                           "trx_id"}
    (pts,) = answer["landmarks"]
    assert len(pts) == 6 and pts[4:] == [[0, 0], [0, 0]]
    (x1, y1, x2, y2), = answer["region"]
    left_eye, right_eye, nose, mouth = pts[:4]
    assert x1 < left_eye[0] < right_eye[0] < x2 and y1 < left_eye[1] < nose[1] < mouth[1] < y2
    assert answer["landmarks_str"] == [":".join(f"{x},{y}" for x, y in pts[:4])]
    assert answer["seconds"] > 0 and len(answer["trx_id"]) >= 16


async def test_detect_several_faces_and_single_face(api, t1):
    _, base, token = await api()
    img = base64.b64encode(jpeg(t1)).decode()
    many = await call(base, "/detect", {"single_face": False, "img": img}, token)
    # all six people: the sixth, flash-lit, in the photo with its contrast evened (test_mesh_engine)
    assert len(many["landmarks"]) == 6 and len(many["region"]) == 6
    one = await call(base, "/detect", {"single_face": True, "img": img}, token)
    assert len(one["landmarks"]) == 1


async def test_detect_bad_input(api):
    _, base, token = await api()
    assert (await call(base, "/detect", {"single_face": True}, token))["error_code"] == 1003
    answer = await call(base, "/detect", {"img": base64.b64encode(b"not an image").decode()}, token)
    assert answer["error_code"] == 1003 and "Not an image" in answer["error_msg"]
    plain = base64.b64encode(jpeg(np.full((200, 200, 3), 99, np.uint8))).decode()
    grey = await call(base, "/detect", {"img": plain}, token)
    assert grey["error_code"] == 0 and grey["landmarks"] == [] and grey["region"] == []


@pytest.fixture
async def image_host(aiohttp_server, astronaut):
    """A loopback web server with a face, a redirect to a private address, and a 404."""

    async def face(request: web.Request) -> web.Response:
        return web.Response(body=jpeg(astronaut), content_type="image/jpeg")

    async def to_private(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://10.0.0.7/face.jpg")

    async def to_metadata(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    app = web.Application()
    app.router.add_get("/face.jpg", face)
    app.router.add_get("/redirect-private", to_private)
    app.router.add_get("/redirect-metadata", to_metadata)
    server = await aiohttp_server(app)
    return server.port


async def test_detect_fetches_a_url_the_allow_list_names(api, image_host):
    _, base, token = await api(fetch_allow="127.0.0.1")
    url = f"http://127.0.0.1:{image_host}/face.jpg"
    answer = await call(base, "/detect", {"single_face": True, "image_url": url}, token)
    assert answer["error_code"] == 0 and len(answer["landmarks"]) == 1, answer


@pytest.mark.parametrize("url, why", [
    ("http://127.0.0.1:{port}/face.jpg", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://localhost:{port}/face.jpg", "loopback"),
    ("http://[::1]:{port}/face.jpg", "loopback"),
    ("file:///etc/passwd", "only http"),
    ("http://10.1.2.3/face.jpg", "private"),
])
async def test_detect_refuses_internal_urls(api, image_host, url, why):
    _, base, token = await api()
    answer = await call(base, "/detect", {"image_url": url.format(port=image_host)}, token)
    assert answer["error_code"] == 1003 and why in answer["error_msg"], answer


@pytest.mark.parametrize("path, why", [
    ("/redirect-private", "private"), ("/redirect-metadata", "link-local"),
])
async def test_detect_refuses_a_redirect_into_the_network(api, image_host, path, why):
    _, base, token = await api(fetch_allow="127.0.0.1")
    answer = await call(base, "/detect", {"image_url": f"http://127.0.0.1:{image_host}{path}"}, token)
    assert answer["error_code"] == 1003 and why in answer["error_msg"], answer


# -- live sessions --------------------------------------------------------------------------------
async def test_live_session_from_create_to_close_over_webrtc(api, astronaut, t1, t1_face):
    _, base, token = await api()
    created = await call(base, f"{P}/faceswap/live/create",
                         {"sourceImage": [{"path": data_uri(astronaut), "opts": ""}]}, token)
    assert created["code"] == 1000, created
    data = created["data"]
    assert data["faceswap_status"] in (1, 2)
    for key in ("_id", "channel_id", "front_user_id", "front_rtc_token", "offer_url", "whip_url", "whep_url",
                "player_url"):
        assert data[key], key
    data = await wait_status(base, token, data["_id"], 2)

    frame = place(t1_face, (640, 480), 1.6)
    face = (slice(150, 330), slice(230, 410))
    rtc = {"Authorization": f"Bearer {data['front_rtc_token']}"}
    client = await offer(base, FaceCamera([frame], fps=15), channel=data["channel_id"], headers=rtc)
    try:
        for _ in range(10):
            await client.received.next_image()
        first = await client.received.latest_image()
        assert np.abs(first[face].astype(int) - frame[face].astype(int)).mean() > 6

        # another face: the woman on the left of t1.jpg, picked by the landmarks /detect gave for her
        t1_det = await call(base, "/detect", {"img": base64.b64encode(jpeg(t1)).decode()}, token)
        lx1, ly1, _, _ = T1_FACE_BOXES["left"]
        pick = min(range(len(t1_det["region"])),
                   key=lambda i: abs(t1_det["region"][i][0] - lx1) + abs(t1_det["region"][i][1] - ly1))
        updated = await call(base, f"{P}/faceswap/live/update", {
            "_id": data["_id"],
            "sourceImage": [{"path": data_uri(t1), "opts": t1_det["landmarks_str"][pick]}],
        }, token)
        assert updated["code"] == 1000 and updated["data"]["faceswap_status"] == 1
        await wait_status(base, token, data["_id"], 2)
        for _ in range(10):
            await client.received.next_image()
        second = await client.received.latest_image()
        changed = np.abs(second[face].astype(int) - first[face].astype(int)).mean()
        assert changed > 4, f"the face did not change ({changed:.1f})"

        closed = await call(base, f"{P}/faceswap/live/close", {"_id": data["_id"]}, token)
        assert closed["code"] == 1000 and closed["data"]["faceswap_status"] == 3
        await asyncio.wait_for(client.received.ended.wait(), 10)
        for _ in range(200):
            if client.pc.connectionState in ("closed", "failed"):
                break
            await asyncio.sleep(0.05)
        assert client.pc.connectionState in ("closed", "failed")
    finally:
        await client.close()
    info = await call(base, f"{P}/faceswap/live/info", {"_id": data["_id"]}, token)
    assert info["data"]["faceswap_status"] == 3


async def test_rtc_token_opens_its_channel_and_nothing_else(api, astronaut, frame_640):
    _, base, token = await api()
    body = {"sourceImage": [{"path": data_uri(astronaut)}]}
    a = (await call(base, f"{P}/faceswap/live/create", body, token))["data"]
    b = (await call(base, f"{P}/faceswap/live/create", body, token))["data"]
    for headers, status in (({}, 401), ({"Authorization": f"Bearer {b['front_rtc_token']}"}, 403)):
        with pytest.raises(AssertionError, match=str(status)):
            await offer(base, FaceCamera([frame_640]), channel=a["channel_id"], headers=headers)
    # nor is it an API token
    answer = await call(base, f"{P}/faceswap/live/info", {"_id": a["_id"]}, a["front_rtc_token"])
    assert answer["code"] == 1101
    client = await offer(base, FaceCamera([frame_640]), channel=a["channel_id"],
                         headers={"Authorization": f"Bearer {a['front_rtc_token']}"})
    await wait_connected(client.pc)
    await client.close()


@pytest.fixture
def frame_640(t1_face):
    return place(t1_face, (640, 480), 1.6)


async def test_session_failures_read_status_4_with_the_reason(api):
    _, base, token = await api()
    grey = data_uri(np.full((300, 300, 3), 120, np.uint8))
    cases = {
        grey: "No face detected",
        "http://169.254.169.254/latest/meta-data/": "link-local",
        "img_doesnotexist": "uploaded",
    }
    for path, why in cases.items():
        created = await call(base, f"{P}/faceswap/live/create", {"sourceImage": [{"path": path}]}, token)
        data = created["data"]
        failed = await wait_status(base, token, data["_id"], 4)
        assert why in failed["msg"], failed


async def test_session_parameter_errors_and_caps(api, astronaut):
    _, base, token = await api(api_sessions_per_client=1)
    create = f"{P}/faceswap/live/create"
    assert (await call(base, create, {"sourceImage": []}, token))["code"] == 1003
    assert (await call(base, create, {"sourceImage": [{"opts": "1,2"}]}, token))["code"] == 1003
    bad_opts = {"sourceImage": [{"path": data_uri(astronaut), "opts": "left eye"}]}
    assert (await call(base, create, bad_opts, token))["code"] == 1003
    assert (await call(base, f"{P}/faceswap/live/info", {"_id": "nope"}, token))["code"] == 1003
    assert (await call(base, f"{P}/faceswap/live/update", {"_id": "nope", "sourceImage": [{"path": "x"}]},
                       token))["code"] == 1003
    body = {"sourceImage": [{"path": data_uri(astronaut)}]}
    first = await call(base, create, body, token)
    assert first["code"] == 1000
    async with aiohttp.ClientSession() as http, http.get(base + "/status") as r:
        assert (await r.json())["live_sessions"] == 1
    second = await call(base, create, body, token)
    assert second["code"] == 1106 and "at most 1" in second["msg"]
    await call(base, f"{P}/faceswap/live/close", {"_id": first["data"]["_id"]}, token)
    assert (await call(base, create, body, token))["code"] == 1000


async def test_photos_naming_one_person_are_one_source_face(api, astronaut, t1_face):
    _, base, token = await api()
    create = f"{P}/faceswap/live/create"
    images = [{"path": data_uri(astronaut), "person": "eileen"}, {"path": data_uri(t1_face)},
              {"path": data_uri(cv2.flip(astronaut, 1)), "person": "eileen"}]
    data = (await call(base, create, {"sourceImage": images}, token))["data"]
    ready = await wait_status(base, token, data["_id"], 2)
    assert ready["msg"] == "ready: 2 source faces from 3 photos", ready
    assert [i.get("person") for i in ready["sourceImage"]] == ["eileen", None, "eileen"]
    for person in ({"name": "x"}, "", "x" * 65, True):
        bad = {"sourceImage": [{"path": data_uri(astronaut), "person": person}]}
        answer = await call(base, create, bad, token)
        assert answer["code"] == 1003 and "person" in answer["msg"], answer


async def test_a_ready_session_says_what_in_its_photos_limits_the_likeness(api, t1):
    """`msg` of a ready session adds, per source face, what limits it (the upload's `notes` in the
    other dialect): t1.jpg's fifth person, nearly in profile, has his far half mirrored."""
    _, base, token = await api()
    turned = crop_face(t1, T1_DLIB_BOXES["turned"], 0.8)
    data = (await call(base, f"{P}/faceswap/live/create", {"sourceImage": [{"path": data_uri(turned)}]},
                       token))["data"]
    ready = await wait_status(base, token, data["_id"], 2)
    said = "ready: 1 source face from 1 photo; source face 1: The face is turned away from the camera"
    assert ready["msg"].startswith(said), ready["msg"]


async def test_sessions_expire(api, astronaut):
    _, base, token = await api(api_session_ttl=0.3)
    data = (await call(base, f"{P}/faceswap/live/create", {"sourceImage": [{"path": data_uri(astronaut)}]},
                       token))["data"]
    ended = await wait_status(base, token, data["_id"], 3)
    assert ended["msg"] == "expired"


async def test_uploaded_image_id_as_source_path(api, astronaut):
    _, base, token = await api()
    up = await call(base, f"{P}/upload", {"img": data_uri(astronaut)}, token)
    assert up["code"] == 1000 and up["data"]["id"].startswith("img_")
    data = (await call(base, f"{P}/faceswap/live/create", {"sourceImage": [{"path": up["data"]["id"]}]},
                       token))["data"]
    await wait_status(base, token, data["_id"], 2)


# -- persistence ------------------------------------------------------------------------------------
async def test_restart_keeps_credentials_and_marks_live_sessions_failed(aiohttp_server, mesh_engine, tmp_path,
                                                                        astronaut):
    from app import create_app
    from settings import Settings

    db = str(tmp_path / "api.sqlite3")
    settings = Settings(db=db, clients="tester:s3cret-value")
    first = await aiohttp_server(create_app(settings, engine=mesh_engine))
    base = base_of(first)
    token = await token_for(base)
    data = (await call(base, f"{P}/faceswap/live/create", {"sourceImage": [{"path": data_uri(astronaut)}]},
                       token))["data"]
    await wait_status(base, token, data["_id"], 2)
    await first.close()

    second = await aiohttp_server(create_app(Settings(db=db), engine=mesh_engine))  # no clients configured
    base = base_of(second)
    again = await token_for(base)  # the stored credentials still work
    info = await call(base, f"{P}/faceswap/live/info", {"_id": data["_id"]}, again)
    assert info["data"]["faceswap_status"] == 4 and info["data"]["msg"] == "server restarted"
    old = await call(base, f"{P}/faceswap/live/info", {"_id": data["_id"]}, token)
    assert old["code"] == 1000  # tokens are stored too, until they expire


async def test_first_start_without_clients_creates_one_and_logs_it_once(aiohttp_server, mesh_engine, tmp_path,
                                                                         caplog):
    from app import create_app
    from settings import Settings

    def secret_lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if "clientSecret=" in r.getMessage()]

    db = str(tmp_path / "api.sqlite3")
    caplog.set_level(logging.WARNING)
    server = await aiohttp_server(create_app(Settings(db=db), engine=mesh_engine))
    await eventually(lambda: secret_lines() != [], 5, "the created client to be logged")
    (line,) = secret_lines()
    client_id = line.split("clientId=")[1].split()[0]
    secret = line.split("clientSecret=")[1].split()[0]
    await token_for(base_of(server), (client_id, secret))
    await server.close()
    caplog.clear()
    again = await aiohttp_server(create_app(Settings(db=db), engine=mesh_engine))
    await token_for(base_of(again), (client_id, secret))  # waits for the start-up registration
    assert secret_lines() == []
    stored = await asyncio.to_thread(lambda: open(db, "rb").read())
    assert secret.encode() not in stored  # stored hashed


async def test_clients_from_a_file(serve, tmp_path):
    path = tmp_path / "clients.txt"
    path.write_text("# id:secret per line\nalpha:one-secret\nbeta:two-secret\n")
    base = base_of(await serve(clients_file=str(path)))
    await token_for(base, ("alpha", "one-secret"))
    await token_for(base, ("beta", "two-secret"))
    bad = await call(base, f"{P}/getToken", {"clientId": "alpha", "clientSecret": "two-secret"})
    assert bad["code"] == 1101


async def test_an_ended_sessions_channel_cannot_be_taken_by_a_stranger(api, astronaut, frame_640):
    from testing.rtc_client import sdp_post

    _, base, token = await api()
    data = (await call(base, f"{P}/faceswap/live/create", {"sourceImage": [{"path": data_uri(astronaut)}]},
                       token))["data"]
    await wait_status(base, token, data["_id"], 2)
    await call(base, f"{P}/faceswap/live/close", {"_id": data["_id"]}, token)
    stranger = await sdp_post(base, "whip", data["channel_id"], FaceCamera([frame_640]))
    assert stranger.response_status == 403 and "live API session" in (stranger.location or "")
    viewer = await sdp_post(base, "whep", data["channel_id"], None, token=data["front_rtc_token"])
    assert viewer.response_status == 404
