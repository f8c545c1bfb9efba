"""``python -m nn explore``'s server: 127.0.0.1 only, a token on every request, other origins and
hosts refused, one-line 4xx reasons, JSON commands from a whitelist, and a clean stop on Ctrl-C.

The server runs in a thread of this process (HTTP and WebSocket tests), or as the real command
(start-up errors and Ctrl-C). Only these tests call it.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import explorer_on_a_thread, require

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789"
#: The largest model and data the configuration allows, trained on every point at each step.
LARGEST = "samples=1000&test_size=0.1&hidden=16,16,16,16,16,16&dataset=spirals&classes=6&batch_size=0"


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from nn.explore.config import Config

    with explorer_on_a_thread(TOKEN, config=Config(samples=40, hidden=(3,), grid=12)) as running:
        yield running


def get(server: Any, path: str, method: str = "GET", **headers: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(method, path, headers=headers)
    response = connection.getresponse()
    return response.status, response.read().decode()


def test_it_listens_on_127_0_0_1_only(server: Any) -> None:
    assert server.url.startswith(f"http://127.0.0.1:{server.port}/?token={TOKEN}")
    assert "samples=40" in server.url
    assert server.addresses == [("127.0.0.1", server.port)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # this machine's outward address, if any
        try:
            probe.connect(("192.0.2.1", 9))  # a documentation address: nothing is sent
            outward = probe.getsockname()[0]
        except OSError:
            outward = "127.0.0.1"
    if not outward.startswith("127."):
        with socket.socket() as s, pytest.raises(OSError):
            s.settimeout(2)
            s.connect((outward, server.port))


def test_the_page_and_its_files_are_served_with_the_token(server: Any) -> None:
    status, page = get(server, f"/?token={TOKEN}&dataset=xor")
    assert status == 200 and 'import { mount } from "/explorer.js?token=' in page
    status, script = get(server, "/explorer.js", Authorization=f"token {TOKEN}")
    assert status == 200 and "export default { render }" in script
    status, css = get(server, f"/explorer.css?token={TOKEN}")
    assert status == 200 and ".vg-explorer" in css


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/", {}, "403 no token: open the URL printed by python -m nn explore"),
        ("/explorer.js", {}, "403 no token: open the URL printed by python -m nn explore"),
        ("/?token=nope", {}, "403 a wrong token: open the URL printed by python -m nn explore"),
        (f"/?token={TOKEN}", {"Origin": "http://evil.example"},
         "403 requests from another origin are refused, got Origin 'http://evil.example'"),
        (f"/?token={TOKEN}", {"Host": "evil.example"}, "403 the Host header must be 127.0.0.1:"),
        (f"/?token={TOKEN}&lr=fast", {}, "400 config: 'lr' expects a number in (0, 10], got 'fast'"),
        (f"/?token={TOKEN}&shell=ls", {}, "400 config: unknown key 'shell'"),
        (f"/?token={TOKEN}&hidden=64", {}, "400 config: 'hidden' expects a list of at most 6 layer widths"),
        (f"/admin?token={TOKEN}", {}, "404 no such page: /admin"),
        ("/admin", {}, "403 no token"),
    ],
)
def test_bad_requests_get_a_4xx_and_one_line(server: Any, path: str, headers: dict[str, str], expected: str) -> None:
    status, body = get(server, path, **headers)
    assert body.startswith(expected) and body.count("\n") == 1
    assert status == int(expected[:3])


def test_only_get_is_answered(server: Any) -> None:
    status, body = get(server, f"/?token={TOKEN}", method="POST")
    assert (status, body) == (405, "405 POST is not allowed: the explorer answers GET only\n")
    assert get(server, "/", method="DELETE")[0] == 403


async def _socket(server: Any, query: str, origin: str | None = None) -> Any:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    headers = {"Origin": origin or f"http://127.0.0.1:{server.port}"}
    request = HTTPRequest(f"ws://127.0.0.1:{server.port}/ws{query}", headers=headers)
    return await websocket_connect(request)


async def _next(connection: Any, kind: str) -> dict[str, Any]:
    while True:
        text = await asyncio.wait_for(connection.read_message(), 20)
        assert text is not None, "the server closed the connection"
        message = json.loads(text)
        if message["type"] == kind:
            return message


@pytest.mark.parametrize(
    ("query", "origin", "status"),
    [("", None, 403), ("?token=nope", None, 403), (f"?token={TOKEN}", "http://evil.example", 403),
     (f"?token={TOKEN}&lr=0", None, 400)],
)
def test_a_socket_without_the_token_or_from_elsewhere_is_refused(
    server: Any, query: str, origin: str | None, status: int
) -> None:
    from tornado.httpclient import HTTPClientError

    with pytest.raises(HTTPClientError) as info:
        asyncio.run(_socket(server, query, origin))
    assert info.value.code == status


def test_a_socket_carries_state_out_and_whitelisted_commands_in(server: Any) -> None:
    async def talk() -> None:
        connection = await _socket(server, f"?token={TOKEN}&dataset=blobs&classes=4")
        first = await _next(connection, "state")
        assert set(first["parts"]) == {"setup", "frame", "inspect"}
        assert first["parts"]["setup"]["config"]["dataset"] == "blobs" and first["parts"]["setup"]["classes"] == 4
        assert len(server.runners) == 1
        connection.write_message(json.dumps({"type": "step", "count": 3}))
        while (await _next(connection, "state"))["parts"].get("frame", {}).get("step") != 3:
            pass
        for bad, reason in [
            ("not json", "message: not valid JSON: Expecting value at line 1 column 1"),
            (json.dumps({"type": "exec", "code": "import os"}), "message 'type' expects one of"),
            (json.dumps({"type": "set", "key": "grid", "value": 99}), "'set' message: 'key' expects one of"),
        ]:
            connection.write_message(bad)
            assert (await _next(connection, "error"))["message"].startswith(reason)
        connection.close()
        for _ in range(100):
            if not server.runners:
                break
            await asyncio.sleep(0.05)
        assert not server.runners  # closing the page stops its training thread

    asyncio.run(talk())


def stop(proc: subprocess.Popen[str], signum: int = signal.SIGINT, limit: float = 10.0) -> tuple[str, str, float]:
    """Send ``signum`` and wait at most ``limit`` seconds: (stdout, stderr, seconds it took). A server
    still running then is killed, and the test fails saying so: a teardown never hangs."""
    start = time.monotonic()
    proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"python -m nn explore was still running {limit:g} s after signal {signum}; killed it. "
                    f"stderr: {err[-2000:]}")
    return out, err, time.monotonic() - start


def _explore(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen(
        [sys.executable, "-m", "nn", "explore", "--no-browser", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_ctrl_c_stops_the_server_cleanly() -> None:
    require("tornado")
    proc = _explore("--config", "dataset=xor&lock=dataset")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", line)
        assert match and "dataset=xor&lock=dataset" in line
        port = int(match.group(1))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", match.group(0).split(str(port), 1)[1])
        assert connection.getresponse().status == 200
        out, err, _ = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and out.rstrip().endswith("stopped")
    assert "Traceback" not in err
    with socket.socket() as s, pytest.raises(OSError):
        s.connect(("127.0.0.1", port))


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--config", "lr=fast"], 2, "error: config: 'lr' expects a number in (0, 10], got 'fast'"),
        (["--config", "@/no/such/file.json"], 2, "error: --config: cannot read '/no/such/file.json'"),
        (["--port", "70000"], 2, "expected an integer in [0, 65535], got '70000'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], status: int, message: str) -> None:
    proc = _explore(*args)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == status and message in err and "Traceback" not in err


def test_a_busy_port_is_reported(tmp_path: Path) -> None:
    require("tornado")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = _explore("--port", str(busy.getsockname()[1]))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "error: cannot listen on 127.0.0.1 port" in err and "Traceback" not in err


def test_a_json_configuration_file(tmp_path: Path) -> None:
    from nn.explore.command import read_config

    path = tmp_path / "exercise.json"
    path.write_text(json.dumps({"dataset": "circles", "lock": ["dataset"]}))
    assert read_config(f"@{path}").lock == ("dataset",)
    path.write_text(json.dumps({"dataset": "squares"}))
    with pytest.raises(ValueError, match="config: 'dataset' expects one of"):
        read_config(f"@{path}")


def _timed_get(port: int, path: str) -> tuple[int, float]:
    start = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path)
    status = connection.getresponse().status
    return status, time.monotonic() - start


def test_training_never_blocks_the_server(server: Any) -> None:
    """The largest model trains 50 steps at once (about 20 s of work): meanwhile a request is answered at
    once, Pause takes effect within a frame, and closing the page stops its thread."""

    async def talk() -> None:
        connection = await _socket(server, f"?token={TOKEN}&{LARGEST}")
        await _next(connection, "state")
        connection.write_message(json.dumps({"type": "step", "count": 50}))
        while not (step := (await _next(connection, "state"))["parts"].get("frame", {}).get("step")):
            pass  # training is under way
        status, took = await asyncio.to_thread(_timed_get, server.port, f"/explorer.css?token={TOKEN}")
        print(f"GET /explorer.css while the largest model trains: {took * 1000:.0f} ms")
        assert status == 200 and took < 2.0
        connection.write_message(json.dumps({"type": "pause"}))
        paused = time.monotonic()
        last_change = paused
        while time.monotonic() - paused < 2.5:
            try:
                message = json.loads(await asyncio.wait_for(connection.read_message(), 0.5))
            except asyncio.TimeoutError:
                continue
            frame = message.get("parts", {}).get("frame")
            if frame is not None and frame["step"] != step:
                step, last_change = frame["step"], time.monotonic()
        print(f"the last step after Pause came {(last_change - paused) * 1000:.0f} ms after it, at step {step}")
        assert step < 50 and last_change - paused < 2.0
        runner = next(iter(server.runners))
        connection.close()
        for _ in range(100):
            if not runner.alive:
                break
            await asyncio.sleep(0.05)
        assert not runner.alive

    asyncio.run(talk())


def _deaf_to_ctrl_c() -> None:
    """In the child, before it runs Python: SIGINT ignored and blocked, as a parent may leave it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_ctrl_c_stops_a_server_started_with_sigint_ignored_and_blocked() -> None:
    # a child inherits an ignored SIGINT and a blocked one from its parent; the server must still
    # stop on Ctrl-C (asyncio.run only handles SIGINT while Python's own handler is set)
    require("tornado")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "nn", "explore", "--no-browser"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_deaf_to_ctrl_c,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and "http://127.0.0.1:" in proc.stdout.readline()
        out, _, _ = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and out.rstrip().endswith("stopped")


def test_ctrl_c_and_sigterm_stop_the_server_while_it_trains() -> None:
    require("tornado")
    for signum in (signal.SIGINT, signal.SIGTERM):
        proc = _explore("--config", LARGEST)
        try:
            assert proc.stdout is not None
            match = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)", proc.stdout.readline())
            assert match
            port, token = int(match.group(1)), match.group(2)

            async def train(port: int, token: str) -> None:
                from tornado.httpclient import HTTPRequest
                from tornado.websocket import websocket_connect

                request = HTTPRequest(f"ws://127.0.0.1:{port}/ws?token={token}&{LARGEST}",
                                      headers={"Origin": f"http://127.0.0.1:{port}"})
                connection = await websocket_connect(request)
                await _next(connection, "state")
                connection.write_message(json.dumps({"type": "step", "count": 1000}))
                while not (await _next(connection, "state"))["parts"].get("frame", {}).get("step"):
                    pass

            asyncio.run(train(port, token))
            out, err, took = stop(proc, signum)
            print(f"signal {signum} stopped the training server in {took * 1000:.0f} ms")
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0 and took < 5.0 and out.rstrip().endswith("stopped") and "Traceback" not in err, err
