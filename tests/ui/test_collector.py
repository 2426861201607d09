"""The garbage collector's timing: full collections wait while a reply streams and run once it
ended; start-up objects are frozen out of later collections."""

from __future__ import annotations

import gc

import pytest

from ui.collector import NO_FULL_COLLECTIONS, CollectorPolicy


@pytest.fixture
def policy(qtbot):
    thresholds = gc.get_threshold()
    policy = CollectorPolicy()
    yield policy
    gc.set_threshold(*thresholds)


def test_full_collections_wait_while_a_reply_streams(qtbot, policy) -> None:
    young, middle, full = gc.get_threshold()
    policy.set_streaming(True)
    assert gc.get_threshold() == (young, middle, NO_FULL_COLLECTIONS)
    policy.set_streaming(True)  # said twice: still one postponement
    collections: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(watch)
    try:
        policy.set_streaming(False)
        assert gc.get_threshold() == (young, middle, full)
        qtbot.waitUntil(lambda: 2 in collections, timeout=2000)  # the held one, when idle
    finally:
        gc.callbacks.remove(watch)


def test_start_up_objects_are_frozen(qtbot, policy, monkeypatch) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))  # process-wide: not in tests
    policy.freeze_start_up()
    assert frozen == [True]
