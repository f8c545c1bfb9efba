"""What the explorer's server holds against a hostile local user or a careless one: deep JSON,
reasons that HTTP cannot carry, the token in logs and on the browser's command line, idle
connections and running out of file descriptors.

(The basic guards, token, Host, Origin and GET only, are in test_explore_server.py; training
off the event loop too.) Every connection here goes to 127.0.0.1, bounded in count and time.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from helpers import explorer_on_a_thread, require

from nn.explore.config import Config
from nn.explore.controller import CommandError, Controller

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "guard-token-9876543210abcdef"


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """An explorer server on a thread of this process: idle connections close after 1 s, 4 at most."""
    config = Config(samples=40, hidden=(3,), grid=12)
    with explorer_on_a_thread(TOKEN, join_timeout=10, config=config, idle_timeout=1.0, max_connections=4) as running:
        yield running


def get(port: int, path: str, method: str = "GET", **headers: str) -> tuple[int, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, response.reason, response.read().decode()
    finally:
        connection.close()


def nested(depth: int) -> Any:
    """A list nested ``depth`` deep, built without recursion."""
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


# --- 5. deep nesting --------------------------------------------------------------------------


def test_a_deep_websocket_message_gets_an_error_and_the_connection_stays(server: Any) -> None:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    async def talk() -> None:
        request = HTTPRequest(f"ws://127.0.0.1:{server.port}/ws?token={TOKEN}",
                              headers={"Origin": f"http://127.0.0.1:{server.port}"})
        connection = await websocket_connect(request)
        deep = '{"type": "set", "key": "hidden", "value": ' + "[" * 50_000 + "]" * 10_000  # 60 kB, under the cap
        for message, reason in [
            (deep, "message: nested deeper than 16 levels (50001)"),
            ("[" * 50_000, "message: nested deeper than 16 levels (50000)"),
            ("1" * 5000, "message: not valid JSON: Exceeds the limit"),
        ]:
            connection.write_message(message)
            while True:
                answer = json.loads(await asyncio.wait_for(connection.read_message(), 20))
                if answer["type"] == "error":
                    break
            assert answer["message"].startswith(reason)
        connection.write_message(json.dumps({"type": "step", "count": 2}))  # the connection still works
        while True:
            answer = json.loads(await asyncio.wait_for(connection.read_message(), 20))
            if answer.get("parts", {}).get("frame", {}).get("step") == 2:
                break
        connection.close()

    asyncio.run(talk())


def test_deep_values_from_python_are_refused_in_one_line() -> None:
    from nn.explore.safejson import shown

    with pytest.raises(ValueError, match=r"^config: nested deeper than 16 levels$"):
        Config.from_mapping({"hidden": nested(100_000)})
    with pytest.raises(ValueError, match=r"^config: nested deeper than 16 levels \(100000\)$"):
        Config.from_json("[" * 100_000 + "]" * 100_000)
    controller = Controller(Config(samples=40, hidden=(3,), grid=12))
    with pytest.raises(CommandError, match=r"^message: nested deeper than 16 levels$"):
        controller.handle({"type": "set", "key": "hidden", "value": nested(100_000)})
    with pytest.raises(CommandError, match=r"got \[0, 1, 2, .*… \(4890 characters\)$"):
        controller.handle({"type": "set", "key": "hidden", "value": list(range(1000))})  # shown short
    assert shown(nested(100_000)) == "a list nested deeper than 16 levels"


def test_explorer_with_deep_json_text_raises_value_error() -> None:
    require("anywidget")
    from nn.explore import Explorer

    with pytest.raises(ValueError, match=r"^config: nested deeper than 16 levels \(100000\)$"):
        Explorer("[" * 100_000)


def _explore(*args: str, **env: str) -> subprocess.Popen[str]:
    environment = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **env)
    return subprocess.Popen([sys.executable, "-m", "nn", "explore", *args], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_bad_config_file_exits_2_with_one_line(tmp_path: Path) -> None:
    deep, huge, fifo = tmp_path / "deep.json", tmp_path / "huge.json", tmp_path / "fifo"
    deep.write_text('{"hidden": ' + "[" * 20_000 + "]" * 20_000 + "}")
    huge.write_text('{"hidden": ' + "[" * 100_000 + "]" * 100_000 + "}")
    os.mkfifo(fifo)
    for path, reason in [
        (deep, "error: config: nested deeper than 16 levels (20001)"),
        (huge, f"error: --config: '{huge}' is larger than 65536 bytes"),
        (fifo, f"error: --config: '{fifo}' is not a regular file"),
        ("/dev/zero", "error: --config: '/dev/zero' is not a regular file"),
    ]:
        proc = _explore("--no-browser", "--config", f"@{path}")
        out, err = proc.communicate(timeout=60)
        last = err.strip().splitlines()[-1]
        assert proc.returncode == 2 and reason in last and len(err.strip().splitlines()) <= 2, err


# --- 6. reasons that a status line cannot carry -----------------------------------------------


@pytest.mark.parametrize(
    ("query", "body"),
    [
        (f"dataset={quote('✓')}", "400 config: 'dataset' expects one of 'moons', 'circles', 'xor', 'spirals', "
                                  "'blobs', got '✓'\n"),
        ("hidden=%FF", "400 config: the query is not UTF-8 once %-decoded (invalid start byte): write each setting "
                       "in plain letters and digits\n"),
        ("lr=%3Cscript%3E", "400 config: 'lr' expects a number in (0, 10], got '<script>'\n"),
        (f"lr={'9' * 500}", "400 config: 'lr' expects a number in (0, 10], got '99999999"),
    ],
)
def test_a_refusal_gives_its_reason_whatever_the_characters(server: Any, query: str, body: str) -> None:
    status, reason, text = get(server.port, f"/?token={TOKEN}&{query}")
    assert status == 400 and text.startswith(body) and text.count("\n") == 1 and len(text) < 400
    assert reason.startswith("config: ") and reason.isascii() and "<" not in reason and len(reason) <= 200
    assert "\\u2713" in reason if "dataset" in query else True


# --- 3. the token in the logs -----------------------------------------------------------------


def test_no_log_line_carries_the_token(server: Any, monkeypatch: pytest.MonkeyPatch,
                                       caplog: pytest.LogCaptureFixture) -> None:
    import nn.explore.server as server_module

    def broken(name: str) -> str:
        raise RuntimeError(f"a bug that names the token {TOKEN} and the query ?token={TOKEN}")

    monkeypatch.setattr(server_module, "_static", broken)
    with caplog.at_level(logging.INFO):
        assert get(server.port, f"/explorer.css?token={TOKEN}&x=1")[0] == 500
        assert get(server.port, f"/nowhere?token={TOKEN}")[0] == 404
        assert get(server.port, "/?token=a-wrong-token-1234")[0] == 403
        assert get(server.port, "/", method="POST", Authorization=f"token {TOKEN}")[0] == 405
        logging.getLogger("tornado.general").warning("a request dump: %r", {"Authorization": "token typed-by-hand"})
        deadline = time.monotonic() + 10
        while "405 POST" not in caplog.text and time.monotonic() < deadline:  # logged once the answer is out
            time.sleep(0.05)
    text = caplog.text + "\n".join(r.exc_text or "" for r in caplog.records)
    assert "uncaught exception in GET /explorer.css" in text and "RuntimeError" in text
    assert "404 GET /nowhere" in text and "403 GET /" in text and "405 POST /" in text
    assert TOKEN not in text and "a-wrong-token" not in text and "typed-by-hand" not in text
    assert "[redacted]" in text


def test_the_commands_stderr_never_carries_the_token() -> None:
    require("tornado")
    proc = _explore("--no-browser")
    try:
        assert proc.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)", proc.stdout.readline())
        assert match
        port, token = int(match.group(1)), match.group(2)
        for path, headers in [(f"/x?token={token}", {}), (f"/?token={token}&lr=fast", {}),
                              (f"/?token={token}", {"Origin": "http://evil.example"}), ("/?token=nope", {})]:
            assert get(port, path, **headers)[0] >= 400
        assert get(port, "/", method="PUT", Authorization=f"token {token}")[0] == 405
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert err.count("\n") >= 5 and "404 GET /x" in err and "405 PUT /" in err, err
    assert token not in err and "token=" not in err


# --- 4. idle connections and file descriptors -------------------------------------------------


def _closed_by_server(s: socket.socket, within: float) -> bool:
    s.settimeout(within)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_idle_connections_are_closed_and_capped(server: Any, caplog: pytest.LogCaptureFixture) -> None:
    assert server.max_connections == 4 and server.idle_timeout == 1.0
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(4)]
    extra: list[socket.socket] = []
    try:
        time.sleep(0.2)
        with caplog.at_level(logging.WARNING, logger="tornado.general"):
            extra = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(12)]
            assert all(_closed_by_server(s, 5) for s in extra)  # beyond the cap: closed at once
        said = [r for r in caplog.records if "the most it serves at once" in r.getMessage()]
        assert len(said) == 1, [r.getMessage() for r in caplog.records]  # once, not twelve times
        start = time.monotonic()
        assert all(_closed_by_server(s, 5) for s in idle)  # idle: closed after the timeout
        print(f"idle connections closed after {time.monotonic() - start:.1f} s (timeout 1 s)")
    finally:
        for s in idle + extra:
            s.close()
    time.sleep(0.2)
    assert get(server.port, f"/explorer.css?token={TOKEN}")[0] == 200


def test_out_of_descriptors_the_server_refuses_quietly_and_recovers() -> None:
    """With ``ulimit -n 64``, 100 idle connections: at most one line about it, and the server answers after."""
    require("tornado")
    environment = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(["bash", "-c", 'ulimit -n 64 && exec "$0" -m nn explore --no-browser', sys.executable],
                            cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    held: list[socket.socket] = []
    try:
        assert proc.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)", proc.stdout.readline())
        assert match
        port, token = int(match.group(1)), match.group(2)
        for _ in range(100):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(1.0)
        for s in held:
            s.close()
        held.clear()
        time.sleep(0.5)
        assert get(port, f"/explorer.css?token={token}")[0] == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        for s in held:
            s.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    print(f"stderr after 100 connections with 64 descriptors: {len(err)} bytes")
    assert len(err) < 1000 and err.count("the most it serves at once") == 1, err[:2000]


# --- 2. the browser's command line ------------------------------------------------------------


def test_the_browser_gets_a_private_file_and_never_blocks_the_server(tmp_path: Path) -> None:
    require("tornado")
    seen = tmp_path / "argv.json"
    browser = tmp_path / "fake-browser"
    browser.write_text(f"#!{sys.executable}\nimport json, os, sys, time\n"
                       "null = os.open(os.devnull, os.O_WRONLY)\nos.dup2(null, 1)\nos.dup2(null, 2)\n"
                       f"json.dump({{'argv': sys.argv, 'pid': os.getpid()}}, open({str(seen)!r}, 'w'))\n"
                       "time.sleep(30)\n")  # a BROWSER command that Python does not know, and that does not return
    browser.chmod(0o755)
    proc = _explore(BROWSER=str(browser))
    pid = None
    try:
        assert proc.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)\S*", proc.stdout.readline())
        assert match
        url, port, token = match.group(0), int(match.group(1)), match.group(2)
        deadline = time.monotonic() + 20
        while not seen.exists() or not seen.read_text():
            assert time.monotonic() < deadline, "the browser was not started"
            time.sleep(0.05)
        started = json.loads(seen.read_text())
        pid = started["pid"]
        assert token not in " ".join(started["argv"])
        page = Path(urlsplit(started["argv"][-1]).path)
        assert stat.S_IMODE(page.stat().st_mode) == 0o600 and stat.S_IMODE(page.parent.stat().st_mode) == 0o700
        assert f'content="0;url={url}"' in page.read_text().replace("&amp;", "&")
        start = time.monotonic()
        assert get(port, f"/explorer.css?token={token}")[0] == 200  # while the browser command still runs
        print(f"GET while the BROWSER command runs: {(time.monotonic() - start) * 1000:.0f} ms")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert not page.exists()  # removed when the server stops
