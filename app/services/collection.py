"""Pausing Python's cyclic garbage collector around work that holds millions of objects.

An import keeps millions of small objects alive (the in-file dedup keys, the duplicate
finder's blocks), and every full collection walks all of them: at a million rows that is
seconds of stalled progress, again and again. `pause()`/`resume()` bracket such work (nested
and from several threads at once); the collector resumes, and catches up, when the last one
ends. When something else already turned automatic collection off (the GUI collects on its UI
thread only, `app.ui.collector`), resuming leaves it off, and that collector asks `paused()`
before it runs. Reference counting still frees everything meanwhile.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_holders = 0
_was_enabled = True


def pause() -> None:
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1


def resume() -> None:
    global _holders
    with _lock:
        _holders -= 1
        if _holders == 0 and _was_enabled:
            gc.enable()


def paused() -> bool:
    """Whether some work has the collector paused now."""
    return _holders > 0
