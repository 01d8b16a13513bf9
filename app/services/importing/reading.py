"""Stages 2-3 as a stream: the file's rows, validated, a chunk of candidates at a time.

A big file is read and validated in a second process (`serve`), so that work runs on another
core beside the import's reading loop and its writer thread: in one process they all take
turns on Python's one interpreter lock, and the writer, which gives the lock up and takes it
back for every row it stores, waits most. The worker sends each chunk as one pickle of plain
tuples and dicts (a row's raw cells already JSON text), cheap to unpickle. A small file is
read here: the worker's start-up would cost more than it saves.

The worker is this program again: `python -m app.services.importing.reading`, or the
bundled executable with WORKER_FLAG (`app.main` hands it here). It reads one pickled job
from its standard input and writes length-prefixed pickles to its standard output:
("rows", Parsed fields...), then ("end", footer rows, NULs removed), or ("error", exception).
Cancel kills it; if this process dies, its next write fails and it exits.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from app.services.action_error import ActionError
from app.services.importing.detect import Detected, RowStream
from app.services.importing.mapping import Mapping
from app.services.importing.results import RejectedRow
from app.services.importing.validate import BLANK, REJECTED, Candidate, RowValidator

WORKER_FLAG = "--leadgate-import-worker"
# Below this size the file is read in this process. The worker's start-up (a second Python
# importing the validation libraries) is worth about 30,000 rows of reading and validating.
WORKER_MIN_BYTES = 6 * 1024 * 1024
# LEADGATE_IMPORT_WORKER: "0" never, "1" always (tests), unset: by size and core count.
WORKER_ENV = "LEADGATE_IMPORT_WORKER"
WAIT_SLICE_S = 0.05  # how often the reading loop checks for Cancel while the worker reads
AHEAD = 4  # chunks the worker may read ahead of the import (memory stays bounded)
_LENGTH = struct.Struct("<Q")
# The import's progress and Cancel check: (position or None, text or None).
Pulse = Callable[[int | None, str | None], None]
_PROTOCOL = pickle.HIGHEST_PROTOCOL


@dataclass(slots=True)
class Parsed:
    """Rows of the file, read and validated: what the import counts and loads."""

    position: int  # how far into the file (progress)
    rows: int  # data rows read
    blank: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)


class RowSource:
    """Iterate for `Parsed` chunks; then `footer_rows` and `nuls_removed` are known. Always
    `close()` (the worker is stopped if the import ends early)."""

    footer_rows = 0
    nuls_removed = 0

    def __iter__(self) -> Iterator[Parsed]:
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to stop for the in-process reader."""


def open_rows(
    det: Detected,
    mapping: Mapping,
    *,
    phone_region: str | None,
    chunk: int,
    every: int,
    pulse: Pulse,
) -> RowSource:
    """The file's rows in chunks of `chunk` candidates. `pulse(position, text)` is called
    every `every` rows read here, and while waiting for the worker (it checks for Cancel)."""
    job = _Job(det, mapping, phone_region, chunk, every)
    if _use_worker(det):
        try:
            return _WorkerRows(job, pulse)
        except OSError:
            pass  # no second process here (a locked-down machine): read in this one
    return _LocalRows(job, pulse)


def _use_worker(det: Detected) -> bool:
    wanted = os.environ.get(WORKER_ENV, "")
    if wanted in ("0", "1"):
        return wanted == "1"
    return det.size >= WORKER_MIN_BYTES and (os.cpu_count() or 1) >= 2


@dataclass(slots=True)
class _Job:
    det: Detected
    mapping: Mapping
    phone_region: str | None
    chunk: int
    every: int

    def read(
        self, every: Callable[[int, int], None], end: Callable[[int, int], None]
    ) -> Iterator[Parsed]:
        """The reading loop itself, in whichever process reads: `every(position, rows)` each
        `self.every` rows, `end(footer rows, NULs removed)` after the last chunk."""
        stream = RowStream(self.det)
        validator = RowValidator(
            self.mapping, phone_region=self.phone_region, delimited=self.det.kind == "csv"
        )
        part = Parsed(0, 0)
        for n, (number, cells) in enumerate(stream, start=1):
            if n % self.every == 0:
                every(stream.position(), n)
            part.rows += 1
            cand = validator.check(number, cells)
            if cand.status == BLANK:
                part.blank += 1
            elif cand.status == REJECTED:
                part.rejected.append(RejectedRow(number, cand.reason or "", cells))
            else:
                part.candidates.append(cand)
                if len(part.candidates) >= self.chunk:
                    part.position = stream.position()
                    yield part
                    part = Parsed(0, 0)
        part.position = stream.position()
        yield part
        end(stream.footer_rows, stream.nuls.removed)


class _LocalRows(RowSource):
    def __init__(self, job: _Job, pulse: Pulse) -> None:
        self._job = job
        self._pulse = pulse

    def __iter__(self) -> Iterator[Parsed]:
        yield from self._job.read(lambda pos, n: self._pulse(pos, f"{n:,} rows"), self._end)

    def _end(self, footer_rows: int, nuls_removed: int) -> None:
        self.footer_rows, self.nuls_removed = footer_rows, nuls_removed


class WorkerError(ActionError):
    """The second process reading the file stopped without saying why."""


class _WorkerRows(RowSource):
    def __init__(self, job: _Job, pulse: Pulse) -> None:
        self._pulse = pulse
        self._rows = 0
        self._proc = subprocess.Popen(
            worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_worker_env(),
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        # The job goes in whole at once: a pipe's buffer holds it (a path and a mapping).
        self._proc.stdin.write(pickle.dumps(job, _PROTOCOL))
        self._proc.stdin.close()
        # A thread reads the messages (the read lets the lock go) so that the reading loop
        # waits with a timeout and keeps Cancel and progress alive on every platform.
        self._inbox: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
        self._reader = threading.Thread(
            target=_read_messages, args=(self._proc.stdout, self._inbox),
            name="import-worker-reader", daemon=True,
        )  # fmt: skip
        self._reader.start()

    def __iter__(self) -> Iterator[Parsed]:
        while True:
            data = self._next()
            if data is None:
                code = self._proc.wait()
                raise WorkerError(
                    f"The file reader stopped unexpectedly (exit code {code}); "
                    "nothing was imported."
                )
            message = pickle.loads(data)
            kind = message[0]
            if kind == "rows":
                _, position, rows, blank, rejected, wire = message
                self._rows += rows
                self._pulse(position, f"{self._rows:,} rows")
                yield Parsed(
                    position, rows, blank, [RejectedRow(*r) for r in rejected],
                    [Candidate(*c) for c in wire],
                )  # fmt: skip
            elif kind == "end":
                _, self.footer_rows, self.nuls_removed = message
                return
            else:
                raise message[1]

    def _next(self) -> bytes | None:
        while True:
            try:
                return self._inbox.get(timeout=WAIT_SLICE_S)
            except queue.Empty:
                self._pulse(None, None)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        assert self._proc.stdout is not None
        self._reader.join()
        self._proc.stdout.close()


def _read_messages(pipe: IO[bytes], inbox: queue.Queue[bytes | None]) -> None:
    try:
        while True:
            head = pipe.read(_LENGTH.size)
            if len(head) < _LENGTH.size:
                break
            (size,) = _LENGTH.unpack(head)
            data = pipe.read(size)
            if len(data) < size:
                break
            inbox.put(data)
    except (OSError, ValueError):
        pass  # the pipe was closed: the worker was stopped
    inbox.put(None)


def worker_command() -> list[str]:
    """How to start the worker: the bundled executable with the flag, or this module."""
    if getattr(sys, "frozen", False):
        return [sys.executable, WORKER_FLAG]
    return [sys.executable, "-m", "app.services.importing.reading"]


def _worker_env() -> dict[str, str]:
    """This environment, with the folder holding the `app` package first on the path (the
    app may have found it through its own sys.path, not the environment's)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


# -- in the worker -------------------------------------------------------------------------


def serve(stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> int:
    """The worker's main: read the job, stream the chunks back. Its standard output is the
    channel, so anything else printed goes to standard error instead. File descriptors, not
    sys.stdin/sys.stdout: a windowed executable has no sys.stdout, but it has the pipes."""
    if stdout is None:
        stdout = os.fdopen(os.dup(1), "wb")
        os.dup2(2, 1)
    src = stdin if stdin is not None else os.fdopen(0, "rb")
    # Nothing here makes reference cycles: the collector would only walk the chunk in hand.
    gc.disable()

    def send(message: tuple[Any, ...]) -> None:
        data = pickle.dumps(message, _PROTOCOL)
        stdout.write(_LENGTH.pack(len(data)))
        stdout.write(data)
        stdout.flush()

    try:
        job: _Job = pickle.load(src)
        for part in job.read(lambda _pos, _n: None, lambda *end: send(("end", *end))):
            rejected = [(r.row, r.reason, r.cells) for r in part.rejected]
            wire = [
                (c.row_number, c.status, c.values, c.qualifiers, c.raw, c.email_key, c.reason,
                 c.incomplete)
                for c in part.candidates
            ]  # fmt: skip
            send(("rows", part.position, part.rows, part.blank, rejected, wire))
    except (BrokenPipeError, KeyboardInterrupt):
        return 1  # the import stopped listening
    except Exception as exc:  # every error goes back to the import, which raises it
        try:
            send(("error", _portable(exc)))
        except BrokenPipeError:
            return 1
        return 1
    return 0


def _portable(exc: Exception) -> Exception:
    """The error itself when it survives pickling (DetectError, csv.Error...), else its text."""
    try:
        pickle.loads(pickle.dumps(exc, _PROTOCOL))
        return exc
    except Exception:
        return ActionError(str(exc) or type(exc).__name__)


if __name__ == "__main__":
    raise SystemExit(serve())
