"""Fixtures for the durar module's tests: the fake vendor program, a stalling SSE server,
and configs pointing a provider at them. Everything listens on 127.0.0.1; every wait is
bounded."""

import json
import os
import select
import socket
import subprocess
import threading
from pathlib import Path

import pytest

import durar

DATA = Path(os.environ.get("DURAR_TEST_DATA", Path(__file__).resolve().parents[1] / "data"))
FAKE_VENDOR = os.environ.get("DURAR_FAKE_VENDOR", "durar-fake-vendor")
WAIT = 10  # seconds: the bound on every wait for a helper process or thread


def recording(name):
    """The recording's path; "/v1/x=NAME" (answer path /v1/x from NAME) keeps its prefix."""
    prefix, eq, rest = name.rpartition("=")
    return prefix + eq + str(DATA / rest)


class FakeVendor:
    """durar-fake-vendor serving the given recordings in turn; its base URL is `url`. With
    `requests` (a path), the program appends each request's body to that file, one line
    each, before answering it: `received()` reads them back as dicts."""

    def __init__(self, *recordings, requests=None):
        self.requests = requests
        logging = ["--requests", str(requests)] if requests is not None else []
        self.proc = subprocess.Popen(
            [FAKE_VENDOR, *logging, *recordings],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], WAIT)
        if not ready:
            self.stop()
            raise RuntimeError("durar-fake-vendor printed no URL")
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.stop()
            raise RuntimeError(f"durar-fake-vendor did not start: {self.url!r} {err}")

    def received(self):
        """The request bodies so far, parsed (needs `requests`)."""
        path = Path(self.requests)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def stop(self):
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()  # the program exits when stdin closes
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class StallingServer:
    """An OpenAI-style SSE endpoint that sends a role chunk and one text delta, then holds
    the connection open until the client goes away (an abort) or WAIT passes."""

    CHUNKS = [
        '{"id":"c1","object":"chat.completion.chunk","model":"m1","choices":[{"index":0,'
        '"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
        '{"id":"c1","object":"chat.completion.chunk","model":"m1","choices":[{"index":0,'
        '"delta":{"content":"Partial"},"finish_reason":null}]}',
    ]

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.stalled = threading.Event()  # set once the partial answer is out
        self.client_left = threading.Event()  # set when the client closed the connection
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(WAIT)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(WAIT)
            request = b""
            try:
                while b"\r\n\r\n" not in request:
                    request += conn.recv(65536)
                head, _, body = request.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                while len(body) < length:
                    body += conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n"
                )
                for chunk in self.CHUNKS:
                    conn.sendall(b"data: " + chunk.encode() + b"\n\n")
                self.stalled.set()
                while conn.recv(65536):  # b"" when the client hangs up
                    pass
                self.client_left.set()
            except OSError:
                pass

    def stop(self):
        self.sock.close()
        self.thread.join(WAIT)


@pytest.fixture
def fake_vendor(tmp_path):
    """fake_vendor(*recording_names, log_requests=False) -> FakeVendor, stopped after the
    test. Names are relative to tests/data; log_requests keeps the request bodies for
    FakeVendor.received()."""
    started = []

    def start(*names, log_requests=False):
        requests = tmp_path / f"requests-{len(started)}.log" if log_requests else None
        server = FakeVendor(*[recording(n) for n in names], requests=requests)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def stalling_server():
    server = StallingServer()
    yield server
    server.stop()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private HOME with API keys for the test providers."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("DURAR_CONFIG_PATH", raising=False)
    monkeypatch.delenv("DURAR_STATE_DIR", raising=False)
    monkeypatch.setenv("FAKE_API_KEY", "sk-canary-python-1")
    monkeypatch.setenv("STALL_API_KEY", "sk-canary-python-2")
    return home


@pytest.fixture
def write_config(home, tmp_path):
    """write_config(base_url, provider="fake") -> path of a durar.yaml whose default model
    is <provider>/m1 at base_url."""

    def write(base_url, provider="fake"):
        workspace = tmp_path / "workspace"
        workspace.mkdir(exist_ok=True)
        path = tmp_path / "durar.yaml"
        path.write_text(
            "models:\n"
            "  providers:\n"
            f"    {provider}:\n"
            f"      baseUrl: {base_url}/v1\n"
            "      models: [{ id: m1 }]\n"
            "agents:\n"
            "  defaults:\n"
            f"    model: {{ primary: {provider}/m1 }}\n"
            f"    workspace: {workspace}\n"
        )
        return path

    return write


@pytest.fixture
def make_agent(write_config, tmp_path):
    """make_agent(base_url, **options) -> durar.Agent on a fresh config, closed after the
    test."""
    agents = []

    def make(base_url, provider="fake", **options):
        cfg = durar.load_config(write_config(base_url, provider))
        options.setdefault("state_dir", tmp_path / "state")
        agent = durar.Agent(cfg, **options)
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.close()
