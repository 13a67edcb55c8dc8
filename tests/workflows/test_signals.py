"""Stop requests by signal: the first asks, repeats inside the window are the same
request, a later one aborts; handlers are restored after the block."""

from __future__ import annotations

import os
import signal

import pytest

import dagnas.workflows.signals
from dagnas.workflows.signals import Interrupted, stop_on_signal


def test_first_signal_asks_repeats_coalesce_a_later_one_aborts(monkeypatch):
    before = signal.getsignal(signal.SIGINT)
    with stop_on_signal() as stop:
        assert not stop()
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)  # torchrun forwarding the same Ctrl-C
        assert stop() and stop.signum == signal.SIGTERM
        monkeypatch.setattr(dagnas.workflows.signals, "REPEAT_WINDOW", -1.0)
        with pytest.raises(Interrupted):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before
