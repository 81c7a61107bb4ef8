"""Download the inswapper engine's model files into models/weights/ and check their SHA-256 sums.

    python -m models.fetch [--yes] [--fp16] [--dest models/weights]

insightface's pretrained models are for non-commercial research use only: the licence is printed,
and nothing is downloaded until you agree (or pass --yes). Without internet this fails with a clear
message and tells you where to put files you copied by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass

from models.weights import WEIGHTS_DIR

LICENCE = """\
The inswapper engine uses insightface's pretrained models: buffalo_l (SCRFD detection, ArcFace
identity) and inswapper_128. insightface's code is MIT-licensed, but its training data and
pretrained models are available for NON-COMMERCIAL RESEARCH USE ONLY
(https://github.com/deepinsight/insightface#license). They are not part of this project and are not
redistributed by it. Using them commercially needs a licence from insightface.
"""

# SHA-256 sums as published by projects that verified these files (Deep-Live-Cam and others);
# they could not be re-checked on the machine this was written on, which has no internet.
BUFFALO_L = "https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip"
BUFFALO_L_SHA256 = "80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f"
FROM_BUFFALO_L = {
    "det_10g.onnx": "5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91",
    "w600k_r50.onnx": "4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43",
}


@dataclass(frozen=True)
class ModelFile:
    name: str
    url: str
    sha256: str


INSWAPPER = ModelFile(
    "inswapper_128.onnx",
    "https://huggingface.co/ezioruan/inswapper_128.onnx/resolve/main/inswapper_128.onnx",
    "e4a3f08c753cb72d04e10aa0f7dbe3deebbf39567d4ead6dce08e98aa49e16af",
)
INSWAPPER_FP16 = ModelFile(
    "inswapper_128_fp16.onnx",
    "https://huggingface.co/hacksider/deep-live-cam/resolve/main/inswapper_128_fp16.onnx",
    "6d51a9278a1f650cffefc18ba53f38bf2769bf4bbff89267822cf72945f8a38b",
)


class FetchError(RuntimeError):
    pass


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(url: str, dest: str, sha256: str, timeout: float = 30.0) -> None:
    """Fetch `url` to `dest` through a temporary file; keep it only if its SHA-256 matches."""
    if os.path.isfile(dest) and sha256_of(dest) == sha256:
        print(f"  {os.path.basename(dest)}: already here, checksum ok")
        return
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest) or ".", suffix=".part")
    try:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r, os.fdopen(fd, "wb") as out:
                total = int(r.headers.get("Content-Length") or 0)
                done = 0
                while chunk := r.read(1 << 20):
                    out.write(chunk)
                    done += len(chunk)
                    if total:
                        print(f"\r  {os.path.basename(dest)}: {done * 100 // total}%", end="", flush=True)
            print()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FetchError(f"cannot download {url}: {reason}") from None
        got = sha256_of(tmp)
        if got != sha256:
            raise FetchError(f"{url} has SHA-256 {got}, expected {sha256}: not kept")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def fetch_buffalo_l(dest_dir: str) -> None:
    target = os.path.join(dest_dir, "buffalo_l")
    if all(os.path.isfile(os.path.join(target, n)) and sha256_of(os.path.join(target, n)) == s
           for n, s in FROM_BUFFALO_L.items()):
        print("  buffalo_l: already here, checksums ok")
        return
    with tempfile.TemporaryDirectory() as tmp:
        archive = os.path.join(tmp, "buffalo_l.zip")
        download(BUFFALO_L, archive, BUFFALO_L_SHA256)
        os.makedirs(target, exist_ok=True)
        with zipfile.ZipFile(archive) as z:
            for member in z.namelist():
                name = os.path.basename(member)
                if name in FROM_BUFFALO_L:  # only what the engine uses; never a path from the archive
                    with z.open(member) as src, open(os.path.join(target, name), "wb") as out:
                        shutil.copyfileobj(src, out)
    for name, expected in FROM_BUFFALO_L.items():
        if sha256_of(os.path.join(target, name)) != expected:
            raise FetchError(f"buffalo_l/{name} does not match its pinned SHA-256")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dest", default=WEIGHTS_DIR)
    ap.add_argument("--fp16", action="store_true", help="also fetch inswapper_128_fp16.onnx (half the size)")
    ap.add_argument("--yes", action="store_true", help="accept the licence without asking")
    args = ap.parse_args(argv)
    print(LICENCE)
    if not args.yes:
        if not sys.stdin.isatty():
            print("Not downloading: pass --yes to accept the licence non-interactively.", file=sys.stderr)
            return 2
        if input("Download them for non-commercial research use? [y/N] ").strip().lower() not in ("y", "yes"):
            return 2
    try:
        print(f"into {args.dest}:")
        fetch_buffalo_l(args.dest)
        for f in (INSWAPPER, INSWAPPER_FP16) if args.fp16 else (INSWAPPER,):
            download(f.url, os.path.join(args.dest, f.name), f.sha256)
    except FetchError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        print(f"Offline? Copy the files by hand instead: {args.dest}/inswapper_128.onnx and "
              f"{args.dest}/buffalo_l/{{det_10g,w600k_r50}}.onnx (README: Engines).", file=sys.stderr)
        return 1
    print("done: start the server with --engine inswapper (or auto)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
