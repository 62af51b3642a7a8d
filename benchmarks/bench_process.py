"""PersistentProcess against a plain jupyter_client loop: round trip and output throughput.

Run from the repository root::

    .venv/bin/python benchmarks/bench_process.py [--quick]

Both sides run in this process, each on its own python3 kernel, and are measured
in alternating blocks so that machine noise hits both alike. The plain side is what
a careful user would write: ``client.execute``, read iopub until the request's
idle status, then its shell reply. The session is opened outside IPython (no cell,
``echo=False``): showing output in a cell costs the same for either side.

Prints the machine and a Markdown table.
"""

from __future__ import annotations

import argparse
import queue
import time

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager
from timing import machine, median, percentile, timed

from jupyter_sessions import PersistentProcess, open_session

TARGET_RATIO = 1.2
ROUND_TRIP = "pass"
OUTPUT_BYTES = 10_000_000
OUTPUT = f"import sys; sys.stdout.write('x' * {OUTPUT_BYTES})"


def plain_execute(client: BlockingKernelClient, code: str, timeout: float = 60.0) -> int:
    """The plain jupyter_client loop; returns the number of stdout characters."""
    msg_id = client.execute(code)
    size = 0
    deadline = time.monotonic() + timeout
    while True:
        try:
            msg = client.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError("plain kernel did not answer") from None
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            size += len(msg["content"]["text"])
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    while client.get_shell_msg(timeout=timeout)["parent_header"].get("msg_id") != msg_id:
        pass
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args()
    blocks, per_block, outputs = (5, 100, 3) if args.quick else (10, 300, 5)

    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    proc = open_session(PersistentProcess(group="bench"))
    try:
        plain_rt: list[float] = []
        ours_rt: list[float] = []
        for _ in range(20):  # warm-up
            plain_execute(client, ROUND_TRIP)
            proc.issue_command(ROUND_TRIP, echo=False)
        for block in range(blocks):  # alternate who goes first
            sides = [
                (plain_rt, lambda: plain_execute(client, ROUND_TRIP)),
                (ours_rt, lambda: proc.issue_command(ROUND_TRIP, echo=False)),
            ]
            for samples, step in sides[:: 1 if block % 2 else -1]:
                samples += timed(per_block, step)
        plain_out: list[float] = []
        ours_out: list[float] = []
        for _ in range(outputs):
            plain_out += timed(1, lambda: plain_execute(client, OUTPUT))
            ours_out += timed(1, lambda: proc.issue_command(OUTPUT, echo=False, timeout=120))
    finally:
        proc.close()
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    report(plain_rt, ours_rt, plain_out, ours_out)


def report(
    plain_rt: list[float], ours_rt: list[float], plain_out: list[float], ours_out: list[float]
) -> None:
    print(f"Machine: {machine('jupyter_client', 'ipykernel')}")
    print(
        f"Round trip: `{ROUND_TRIP}`, {len(ours_rt)} samples per side, interleaved blocks. "
        f"Throughput: {OUTPUT_BYTES / 1e6:.0f} MB of stdout, {len(ours_out)} runs per side.\n"
    )
    print("| measure | plain jupyter_client | PersistentProcess | ratio | target |")
    print("|---|---|---|---|---|")
    for name, q in (("round trip p50 (ms)", 0.5), ("round trip p95 (ms)", 0.95)):
        plain, ours = percentile(plain_rt, q) * 1e3, percentile(ours_rt, q) * 1e3
        verdict = "ok" if ours <= TARGET_RATIO * plain else "MISSED"
        print(
            f"| {name} | {plain:.2f} | {ours:.2f} | {ours / plain:.2f}x | "
            f"<= {TARGET_RATIO}x ({verdict}) |"
        )
    plain_mbs = OUTPUT_BYTES / 1e6 / median(plain_out)
    ours_mbs = OUTPUT_BYTES / 1e6 / median(ours_out)
    print(
        f"| output throughput (MB/s, median) | {plain_mbs:.1f} | {ours_mbs:.1f} | "
        f"{ours_mbs / plain_mbs:.2f}x | no hang |"
    )


if __name__ == "__main__":
    main()
