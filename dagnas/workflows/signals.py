"""Signals (Ctrl-C, SIGTERM) at any moment of a command: a clean stop or a clean abort.

The ``dagnas`` process calls :func:`abort_on_signals` first: a SIGINT or
SIGTERM then raises :class:`Interrupted`, which the CLI turns into one line
and the exit status 128 + the signal (130 for Ctrl-C, 143 for SIGTERM); once
the command is over, :func:`ignore_signals` lets it leave with its status. A search narrows
that with :func:`stop_on_signal`: the first signal asks the search to stop
after its current step (with a checkpoint), and another, a second or more
later, aborts at once.

This module imports nothing heavy, so the CLI installs it before torch loads.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A signal aborted the command (a BaseException, as KeyboardInterrupt is)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def abort_on_signals() -> None:
    """From now on, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""
    set_handlers(_raise)


def ignore_signals() -> None:
    """From now on, SIGINT and SIGTERM are ignored: for a process that is leaving."""
    set_handlers(signal.SIG_IGN)


def set_handlers(handler: Any) -> None:
    if threading.current_thread() is threading.main_thread():
        for sig in SIGNALS:
            signal.signal(sig, handler)


class StopRequest:
    """Set by a signal while :func:`stop_on_signal` is active; a search polls it."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.at = 0.0

    def __call__(self) -> bool:
        return self.signum is not None


#: Seconds after a stop request during which more signals repeat it (torchrun
#: forwards the Ctrl-C its workers already got); a signal later aborts at once.
REPEAT_WINDOW = 1.0


@contextmanager
def stop_on_signal() -> Iterator[StopRequest]:
    """For the block: the first SIGINT (Ctrl-C) or SIGTERM asks the search to stop
    after its current step; another one, a second or more later, aborts at once
    (:class:`Interrupted`). Outside the main thread signals cannot be caught,
    and the request never comes."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        if stop.signum is None:
            stop.signum, stop.at = signum, now
            log.warning("stopping after this step (a checkpoint follows); again to abort at once")
        elif now - stop.at > REPEAT_WINDOW:
            raise Interrupted(signum)

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
