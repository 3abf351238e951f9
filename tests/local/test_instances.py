"""The functions' instances: concurrent invocations run side by side, each instance an
execution environment of its own, and beyond the limit Lambda throttles."""

import os
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.local.conftest import start_local, stop_local, transaction, wait_for

INSTANCES = 3


def instances_of(parent_pid: int, package: str) -> list[int]:
    """The PIDs of ``package``'s instances among the children of ``parent_pid``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        parent = next(line.split()[1] for line in status.splitlines()
                      if line.startswith("PPid:"))
        if int(parent) == parent_pid and b"local_mode.functions" in command \
                and package.encode() in command:
            pids.append(int(entry.name))
    return pids


def test_concurrent_requests_run_in_instances_of_their_own_up_to_the_limit(tmp_path):
    """With the emulator paused, each request holds its instance; the instances are separate
    processes, each with its own module state (Powertools' cold-start flag is set in each);
    one request more than there are instances is throttled at once."""
    local = start_local(tmp_path, instances={"process-transaction": INSTANCES})
    emulator_pid = local.process.state["emulatorPid"]
    ids = [f"concurrent-{uuid.uuid4().hex[:8]}" for _ in range(INSTANCES)]
    over_id = f"throttled-{uuid.uuid4().hex[:8]}"
    try:
        pool = ThreadPoolExecutor(max_workers=INSTANCES)
        os.kill(emulator_pid, signal.SIGSTOP)
        try:
            posts = [pool.submit(local.post, transaction(transaction_id)) for transaction_id in ids]
            wait_for(lambda: len(instances_of(local.process.process.pid,
                                              "process_transaction")) == INSTANCES,
                     f"{INSTANCES} instances, each holding a request")
            throttled = local.post(transaction(over_id))
        finally:
            os.kill(emulator_pid, signal.SIGCONT)
            pool.shutdown(wait=True)
        assert throttled.status == 500
        assert throttled.json == {"message": "Internal server error", "errors": [],
                                  "requestId": throttled.headers["x-amzn-RequestId"]}
        assert [post.result().status for post in posts] == [201] * INSTANCES
        assert local.stored(over_id) == []
        stored_lines = [line for line in local.log_lines("process-transaction")
                        if line.get("message") == "Transaction stored"]
        assert sorted(line["transactionId"] for line in stored_lines) == sorted(ids)
        assert [line["cold_start"] for line in stored_lines] == [True] * INSTANCES
    finally:
        stop_local(local)
