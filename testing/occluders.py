"""Real things in front of real faces, with the exact pixels they cover known: the two hand photos
Debian's opencv-doc ships (an open hand on a pale desk, cut out by colour), and the cup of
skimage's coffee photo."""

from __future__ import annotations

import os

import cv2
import numpy as np

from testing.faces import OPENCV_DOC as HAND_DIR

HAND_PHOTOS = ("handSrc.jpg", "handDst.jpg")


def hand_photos_present() -> bool:
    return all(os.path.exists(os.path.join(HAND_DIR, name)) for name in HAND_PHOTOS)


def hand_cutout(name: str = "handSrc.jpg") -> tuple[np.ndarray, np.ndarray]:
    """The photo (BGR) and its hand mask (uint8 255): skin is redder and more saturated than the desk."""
    photo = cv2.imread(os.path.join(HAND_DIR, name))
    assert photo is not None, f"{name}: install Debian's opencv-doc"
    a = cv2.cvtColor(photo, cv2.COLOR_BGR2LAB)[:, :, 1].astype(int)
    saturation = cv2.cvtColor(photo, cv2.COLOR_BGR2HSV)[:, :, 1].astype(int)
    mask = ((a > 130) | (saturation > 40)).astype(np.uint8) * 255
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    hand = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask = np.where(labels == hand, 255, 0).astype(np.uint8)
    # holes the desk left inside the hand (creases, highlights) are hand too
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_not(mask))
    h, w = mask.shape
    for i in range(1, count):
        x, y, bw, bh = stats[i, :4]
        if x > 0 and y > 0 and x + bw < w and y + bh < h:
            mask[labels == i] = 255
    return photo, mask


def cup_cutout() -> tuple[np.ndarray, np.ndarray]:
    """skimage's coffee photo (BGR) and the mask of its cup (with a rim of saucer): red-brown and
    white, a thing a person raises to their mouth."""
    import skimage.data

    photo = cv2.cvtColor(skimage.data.coffee(), cv2.COLOR_RGB2BGR)
    mask = np.zeros(photo.shape[:2], np.uint8)
    cv2.ellipse(mask, (290, 150), (120, 140), 0, 0, 360, 255, -1)
    x, y, w, h = cv2.boundingRect(mask)
    return photo[y : y + h, x : x + w].copy(), mask[y : y + h, x : x + w].copy()


def put_over(frame: np.ndarray, thing: tuple[np.ndarray, np.ndarray], scale: float, angle: float,
              centre: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """`frame` with the thing (a photo and its mask) pasted in, rotated by `angle` degrees, scaled,
    centred at `centre`; and the boolean mask of the pixels that are the thing."""
    photo, mask = thing
    h, w = photo.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[0, 2] += centre[0] - w / 2
    m[1, 2] += centre[1] - h / 2
    size = (frame.shape[1], frame.shape[0])
    warped = cv2.warpAffine(photo, m, size)
    where = cv2.warpAffine(mask, m, size) > 127
    out = frame.copy()
    out[where] = warped[where]
    return out, where
