#!/usr/bin/env python3
"""Binding overhead, whole process: events per second of one streamed turn through the C++
API (an agent_event listener), the C ABI (a durar_event_fn) and the Python iterator
(agent.stream()), and the ratios C/C++ and Python/C++.

Usage:
  bench/binding_overhead.py --build-dir build-bbench [--deltas 20000[,1000...]]
      [--runs 5] [--rounds 3] [--warmup 1] [--basic] [--json-out FILE]

The build dir must be configured with -DDURAR_BUILD_BENCH=ON -DDURAR_BUILD_PYTHON=ON
(Release for real figures) and provide tests/durar-fake-vendor, bench/binding_cpp_events,
bench/binding_c_events and the durar module in bindings/python:

  cmake --build BUILD -j2 --target durar_fake_vendor binding_cpp_events binding_c_events \
      durar_python

The recording is generated into BUILD/bench/binding_overhead/: an OpenAI chat-completions
SSE stream with --deltas small text deltas (a role chunk, the deltas, a finish chunk, a
usage chunk, [DONE]). durar-fake-vendor serves it for every request on 127.0.0.1.

All three variants do the same work apart from the binding: the same config file (one
openai-completions provider at the fake vendor), a runtime, then per run a fresh session
and an agent made before the clock starts, and one timed run of one user message (the run
and the turn's index record, which the C and Python runs do inside their call). Each
counts the message_update events whose stream event is a text_delta and must see --deltas
of them. Each variant runs in its own process with its own state dir; a process does
--warmup untimed runs and --runs timed ones; --rounds repeats the three processes in a
rotating order, and the best run of each variant counts. "c (json_get)" is the C callback
reading the event type with durar_json_get, as docs/c-api.md's example does; "C++ +
to_json" is the C++ listener also turning each event into JSON text (to_json(e).dump_to),
the work the C binding does per event before it calls the host.
"""
import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

VARIANTS = ("cpp", "cpp_to_json", "c", "c_json_get", "python")
LABELS = {"cpp": "C++ listener", "cpp_to_json": "C++ + to_json", "c": "C callback",
          "c_json_get": "C (json_get)", "python": "Python stream()"}
MESSAGE = "Stream a long answer."
WORDS = ("pearl ", "sea ", "light ", "shell ", "deep ", "tide ", "salt ", "wave ")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def write_recording(path, deltas):
    """An OpenAI chat.completion.chunk stream with `deltas` text deltas of 4-6 bytes."""
    head = ('{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1767225600,'
            '"model":"m1","choices":[{"index":0,"delta":')
    with open(path, "w", encoding="utf-8") as f:
        f.write("data: " + head + '{"role":"assistant","content":""},"finish_reason":null}]}\n\n')
        for i in range(deltas):
            content = json.dumps(WORDS[i % len(WORDS)])
            f.write("data: " + head + '{"content":' + content + '},"finish_reason":null}]}\n\n')
        f.write("data: " + head + '{},"finish_reason":"stop"}]}\n\n')
        f.write('data: {"id":"chatcmpl-bench","object":"chat.completion.chunk",'
                '"created":1767225600,"model":"m1","choices":[],"usage":{"prompt_tokens":12,'
                f'"completion_tokens":{deltas},"total_tokens":{deltas + 12}}}}}\n\n')
        f.write("data: [DONE]\n\n")


class FakeVendor:
    """durar-fake-vendor serving one recording; it exits when its stdin closes."""

    def __init__(self, program, recording):
        self.proc = subprocess.Popen([program, recording], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        self.url = self.proc.stdout.readline().strip() if ready else ""
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError("durar-fake-vendor did not print its URL")

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def cmake_python(build):
    """The interpreter the module was built for (Python3_EXECUTABLE in the cache)."""
    try:
        with open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("Python3_EXECUTABLE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return sys.executable


def run_variant(variant, build, python, env, runs, warmup):
    """One process of `variant`: its JSON line as a dict."""
    bench = os.path.join(build, "bench")
    common = ["--runs", str(runs), "--warmup", str(warmup), "--message", MESSAGE]
    if variant == "cpp":
        argv = [os.path.join(bench, "binding_cpp_events")] + common
    elif variant == "cpp_to_json":
        argv = [os.path.join(bench, "binding_cpp_events"), "--to-json"] + common
    elif variant == "c":
        argv = [os.path.join(bench, "binding_c_events")] + common
    elif variant == "c_json_get":
        argv = [os.path.join(bench, "binding_c_events"), "--json-get"] + common
    else:
        argv = [python, os.path.abspath(__file__), "--python-child"] + common
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"{variant} failed ({out.returncode}): {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def python_child(args):
    """The Python variant, inside the process that imports the module."""
    import durar  # noqa: PLC0415 (from PYTHONPATH, set by the parent)

    cfg = durar.load_config()
    counts, seconds = [], []
    for i in range(args.warmup + args.runs):
        # A fresh session per run, opened (by Agent) before the clock starts.
        with durar.Agent(cfg, session_key=f"bench-{i}") as agent:
            deltas = 0
            t0 = time.perf_counter()
            for event in agent.stream(args.message):
                if (event["type"] == "message_update"
                        and event["assistantMessageEvent"]["type"] == "text_delta"):
                    deltas += 1
            t1 = time.perf_counter()
        if i >= args.warmup:
            counts.append(deltas)
            seconds.append(t1 - t0)
    print(json.dumps({"variant": "python", "events": counts, "seconds": seconds}))


def measure(args, build, deltas, variants):
    work = os.path.join(build, "bench", "binding_overhead")
    os.makedirs(work, exist_ok=True)
    recording = os.path.join(work, f"deltas-{deltas}.response.sse")
    write_recording(recording, deltas)
    vendor = FakeVendor(os.path.join(build, "tests", "durar-fake-vendor"), recording)
    python = cmake_python(build)
    best = {v: None for v in variants}
    try:
        with tempfile.TemporaryDirectory(prefix="durar-binding-bench-") as tmp:
            workspace = os.path.join(tmp, "workspace")
            home = os.path.join(tmp, "home")
            os.makedirs(workspace)
            os.makedirs(home)
            config = os.path.join(tmp, "durar.yaml")
            with open(config, "w", encoding="utf-8") as f:
                f.write("models:\n  providers:\n    fake:\n"
                        f"      baseUrl: {vendor.url}/v1\n"
                        "      api: openai-completions\n"
                        "      models: [{ id: m1 }]\n"
                        "agents:\n  defaults:\n    model: { primary: fake/m1 }\n"
                        f"    workspace: {workspace}\n")
            for r in range(args.rounds):
                order = variants[r % len(variants):] + variants[:r % len(variants)]
                for v in order:
                    state = tempfile.mkdtemp(prefix=f"state-{v}-", dir=tmp)
                    env = dict(os.environ, HOME=home, DURAR_CONFIG_PATH=config,
                               DURAR_STATE_DIR=state, FAKE_API_KEY="bench-key",
                               PYTHONPATH=os.path.join(build, "bindings", "python"),
                               PYTHONDONTWRITEBYTECODE="1")
                    got = run_variant(v, build, python, env, args.runs, args.warmup)
                    shutil.rmtree(state, ignore_errors=True)
                    bad = [n for n in got["events"] if n != deltas]
                    if bad:
                        raise RuntimeError(f"{v} counted {bad[0]} text deltas, not {deltas}")
                    fastest = min(got["seconds"])
                    log(f"  {deltas} deltas, round {r + 1}, {v}: best {fastest * 1e3:.1f} ms "
                        f"of {len(got['seconds'])}")
                    if best[v] is None or fastest < best[v]:
                        best[v] = fastest
    finally:
        vendor.stop()
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir")
    p.add_argument("--deltas", default="20000", help="comma-separated stream lengths")
    p.add_argument("--runs", type=int, default=5, help="timed runs per process")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs per process")
    p.add_argument("--rounds", type=int, default=3, help="processes per variant")
    p.add_argument("--basic", action="store_true",
                   help="only C++, C and Python (no json_get, no to_json rows)")
    p.add_argument("--json-out")
    p.add_argument("--python-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--message", default=MESSAGE, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.python_child:
        return python_child(args)
    if not args.build_dir:
        p.error("--build-dir is required")
    build = os.path.abspath(args.build_dir)
    variants = [v for v in VARIANTS
                if not (args.basic and v in ("c_json_get", "cpp_to_json"))]

    report = {"date": time.strftime("%Y-%m-%d"), "runs": args.runs, "rounds": args.rounds,
              "warmup": args.warmup, "results": []}
    for deltas in [int(d) for d in args.deltas.split(",")]:
        best = measure(args, build, deltas, variants)
        base = best["cpp"]
        print(f"\n{deltas} text deltas per turn, best of {args.rounds} x {args.runs} runs")
        print(f"{'variant':<18} {'turn ms':>9} {'events/s':>12} {'vs C++':>8} "
              f"{'added us/event':>15}")
        rows = {}
        for v in variants:
            rate = deltas / best[v]
            added = (best[v] - base) / deltas * 1e6
            rows[v] = {"seconds": best[v], "events_per_s": rate, "ratio_to_cpp": base / best[v],
                       "added_us_per_event": added}
            print(f"{LABELS[v]:<18} {best[v] * 1e3:>9.1f} {rate:>12,.0f} "
                  f"{base / best[v]:>8.3f} {added:>15.2f}")
        print(f"C/C++ = {rows['c']['ratio_to_cpp']:.3f}, "
              f"Python/C++ = {rows['python']['ratio_to_cpp']:.3f} (events/s ratios)")
        report["results"].append({"deltas": deltas, "variants": rows})
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
