"""The allocator's settings and trim: applied where glibc is, harmless where it is not."""

from __future__ import annotations

import pytest

from media import heap


def test_the_settings_apply_on_glibc_and_trimming_is_safe_to_repeat():
    if heap._glibc() is None:
        pytest.skip("not glibc: nothing to apply")
    assert heap.tame() is True
    heap.give_back()
    heap.give_back()


def test_without_glibc_both_are_no_ops(monkeypatch):
    monkeypatch.setattr(heap, "_glibc", lambda: None)
    assert heap.tame() is False
    heap.give_back()  # nothing to call, and no error
