"""The emulator dying under a running local mode: noticed, said once, a clean stop."""

import os
import signal
import subprocess

from local_mode.stack import STATE_FILE
from tests.local.conftest import DEADLINE_SECONDS, start_local, transaction


def test_when_the_emulator_dies_the_local_mode_says_so_once_and_stops(tmp_path):
    local = start_local(tmp_path)
    assert local.post(transaction("before-the-crash")).status == 201  # the workers are busy
    os.kill(local.process.state["emulatorPid"], signal.SIGKILL)
    try:
        exit_code = local.process.process.wait(DEADLINE_SECONDS)
    except subprocess.TimeoutExpired:
        local.process.stop()
        raise AssertionError("the local mode kept running without its emulator:\n"
                             + local.process.output()) from None
    output = local.process.output(lines=1000)
    assert exit_code == 1, output
    assert output.count("error: the AWS emulator") == 1, output
    assert "killed by SIGKILL" in output
    assert "Could not connect" not in output  # the workers' errors are not repeated
    assert not (tmp_path / STATE_FILE).exists()  # stopped as cleanly as by Ctrl-C
