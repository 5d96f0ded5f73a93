#!/usr/bin/env python3
"""Whole-process start-up: median and p90 wall time of durar commands.

Usage: bench/startup.py [path/to/durar] [--runs N]
Builds nothing; point it at a Release binary (./scripts/run.sh --version builds one at
build/release/cli/durar). Runs each command in a private HOME with a small config.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

CONFIG = """agents:
  defaults:
    model:
      primary: anthropic/claude-opus-4-6
      fallbacks: [openai/gpt-5.4]
    models:
      anthropic/claude-opus-4-6: { alias: opus }
      openai/gpt-5.4: { alias: gpt }
models:
  providers:
    lmstudio:
      baseUrl: http://localhost:1234/v1
      models: [{ id: my-local-model, contextWindow: 32768 }]
gateway:
  port: 18789
"""


def measure(argv, env, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append((time.perf_counter() - start) * 1000.0)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = 100
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
        args = [a for a in args if a != str(runs)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    durar = args[0] if args else os.path.join(root, "build", "release", "cli", "durar")
    with tempfile.TemporaryDirectory() as home:
        os.makedirs(os.path.join(home, ".durar"))
        with open(os.path.join(home, ".durar", "durar.yaml"), "w") as f:
            f.write(CONFIG)
        env = {"HOME": home, "PATH": "/usr/bin:/bin", "ANTHROPIC_API_KEY": "x"}
        print(f"{'command':<28} {'median ms':>10} {'p90 ms':>8}   ({runs} runs)")
        for cmd in (["--version"], ["models", "list"], ["models", "list", "--all"], ["doctor"]):
            med, p90 = measure([durar] + cmd, env, runs)
            print(f"{'durar ' + ' '.join(cmd):<28} {med:>10.2f} {p90:>8.2f}")


if __name__ == "__main__":
    main()
