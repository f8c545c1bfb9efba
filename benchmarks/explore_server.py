"""How long the explorer's server takes to answer while its pages train, and to stop.

    python benchmarks/explore_server.py             # 1 and 8 pages playing the largest model
    python benchmarks/explore_server.py --quick     # 1 page, a small model: proves the script runs

It starts ``python -m nn explore`` (a process of its own, so that this script's client does
not share the server's GIL), opens N pages that play the largest model the configuration
allows, then times 20 GETs of /explorer.css, and finally how long Ctrl-C takes to stop it.
The server trains off its event loop, and its pages take turns on the GIL, so a request
waits behind one training thread at most. Nothing here is asserted: a test only checks that
the script runs (tests/nn/test_explore_bench.py).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LARGEST = "samples=1000&test_size=0.1&hidden=16,16,16,16,16,16&dataset=spirals&classes=6&batch_size=0"
SMALL = "samples=60&hidden=4"


def get_time(port: int, token: str) -> float:
    """Seconds to GET /explorer.css on a new connection."""
    start = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", f"/explorer.css?token={token}")
    connection.getresponse().read()
    connection.close()
    return time.monotonic() - start


async def measure(port: int, token: str, pages: int, query: str, requests: int, warmup: float) -> list[float]:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    connections = []
    for _ in range(pages):
        request = HTTPRequest(f"ws://127.0.0.1:{port}/ws?token={token}&{query}",
                              headers={"Origin": f"http://127.0.0.1:{port}"})
        connection = await websocket_connect(request)
        connection.write_message(json.dumps({"type": "play"}))
        connections.append(connection)

    async def read_all(connection: object) -> None:  # a page that reads what it is sent
        while await connection.read_message() is not None:  # type: ignore[attr-defined]
            pass

    readers = [asyncio.ensure_future(read_all(c)) for c in connections]
    await asyncio.sleep(warmup)
    times = []
    for _ in range(requests):
        times.append(await asyncio.to_thread(get_time, port, token))
        await asyncio.sleep(0.2)
    for connection in connections:
        connection.close()  # type: ignore[attr-defined]
    await asyncio.gather(*readers, return_exceptions=True)
    return times


def run(pages: int, query: str, requests: int, warmup: float) -> tuple[list[float], float]:
    """GET times with ``pages`` pages playing, and the seconds Ctrl-C took to stop the server."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "nn", "explore", "--no-browser"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)", proc.stdout.readline())
        if match is None:
            raise SystemExit("error: python -m nn explore did not print its URL")
        times = asyncio.run(measure(int(match.group(1)), match.group(2), pages, query, requests, warmup))
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        return times, time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 page, a small model, 3 requests")
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 8], help="how many pages play (default: 1 8)")
    args = parser.parse_args()
    query, requests, warmup = (SMALL, 3, 0.5) if args.quick else (LARGEST, 20, 5.0)
    pages = [1] if args.quick else args.pages
    print(f"GET /explorer.css while pages play {'a small model' if args.quick else 'the largest model'}; "
          f"{requests} requests each, on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'pages':>5}  {'median':>8}  {'max':>8}  {'Ctrl-C stops it in':>18}")
    for n in pages:
        times, stopping = run(n, query, requests, warmup)
        print(f"{n:>5}  {statistics.median(times) * 1000:>6.0f}ms  {max(times) * 1000:>6.0f}ms  {stopping:>17.2f}s",
              flush=True)


if __name__ == "__main__":
    main()
