#!/usr/bin/env python3
"""Instructions per gateway request, counted by callgrind: a figure that does not move with
the machine's speed, for comparing two builds of the request path.

Usage: bench/gateway_instructions.py [--build-dir build/release] [--durar BIN] [--requests 500]
                                     [--top 25] [--save FILE]

Runs `durar gateway run` under valgrind's callgrind against durar-fake-vendor (the same
config and recording as bench/gateway_bench.py), sends 100 non-streamed chat completions to
warm it up, zeroes the counters, sends --requests more one at a time, dumps the counters and
prints the user-space instructions per request (both of the gateway's threads) and the
library's functions that take the most of them, inclusive. Wall times under valgrind mean
nothing; this counts work. Needs valgrind (apt-get install valgrind).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway_bench as gb  # noqa: E402


def callgrind_control(*args):
    subprocess.run(["callgrind_control", *args], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True, timeout=60)


def annotate(path, inclusive):
    out = subprocess.run(["callgrind_annotate", "--threshold=100",
                          f"--inclusive={'yes' if inclusive else 'no'}", path],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True,
                         timeout=300)
    return out.stdout.decode(errors="replace").splitlines()


def short_name(line):
    name = line.split(":", 1)[1] if ":" in line else line
    name = re.sub(r"\s*\[[^\]]*\]\s*$", "", name)
    for _ in range(6):  # argument lists and template arguments
        name = re.sub(r"\([^()]*\)|<[^<>]*>", "", name)
    return name.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.path.join(gb.ROOT, "build", "release"))
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--durar", help="the durar binary (default: the build dir's)")
    parser.add_argument("--save", metavar="FILE",
                        help="also copy callgrind's counters there, for callgrind_annotate")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("gateway_instructions: valgrind is not installed (apt-get install valgrind)")
    durar = args.durar or os.path.join(args.build_dir, "cli", "durar")
    load = os.path.join(args.build_dir, "bench", "gateway_load")
    vendor = os.path.join(args.build_dir, "tests", "durar-fake-vendor")
    for path in (durar, load, vendor):
        if not os.access(path, os.X_OK):
            sys.exit(f"gateway_instructions: {path} is missing: build it first "
                     "(-DDURAR_BUILD_BENCH=ON builds gateway_load)")

    home = tempfile.mkdtemp(prefix="durar-instr-")
    out_file = os.path.join(home, "callgrind.out")
    fake = gb.FakeVendor(vendor, gb.RECORDING)
    gw = None
    try:
        os.makedirs(os.path.join(home, ".durar"))
        with open(os.path.join(home, ".durar", "durar.yaml"), "w") as f:
            f.write(gb.DURAR_CONFIG.format(fake=fake.url, slow=fake.url, delayed=fake.url,
                                           token=gb.TOKEN))
        env = {"HOME": home, "PATH": "/usr/bin:/bin", "FAKE_API_KEY": "x", "SLOW_API_KEY": "x",
               "DELAYED_API_KEY": "x"}
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                durar, "gateway", "run", "--port", "0", "--json"]
        gw = gb.Gateway("durar", argv, env, ready_line=True, ready_timeout=120.0,
                        stderr_path=os.path.join(home, "gateway.stderr"))
        headers = ["Authorization: Bearer " + gb.TOKEN]
        gb.run_load(load, gw.port, gb.chat_body(), headers, count=100, timeout=120.0)
        callgrind_control("-z", str(gw.proc.pid))
        result = gb.run_load(load, gw.port, gb.chat_body(), headers, count=args.requests,
                             timeout=120.0)
        callgrind_control("-d", str(gw.proc.pid))
        dumps = sorted(p for p in os.listdir(home) if p.startswith("callgrind.out."))
        if result.get("ok") != args.requests or not dumps:
            sys.exit(f"gateway_instructions: {result.get('ok')} of {args.requests} requests "
                     "answered, or no counters dumped")
        dump = os.path.join(home, dumps[-1])
        if args.save:
            shutil.copyfile(dump, args.save)
        total = None
        for line in annotate(dump, inclusive=False):
            m = re.match(r"\s*([\d,]+)\s.*PROGRAM TOTALS", line)
            if m:
                total = int(m.group(1).replace(",", ""))
                break
        if total is None:
            sys.exit("gateway_instructions: callgrind_annotate printed no total")
        print(f"instructions per request: {total / args.requests:,.0f} "
              f"({total:,} for {args.requests} requests)")
        print(f"\nlargest parts, inclusive, per request (top {args.top}):")
        seen, shown = set(), 0
        for line in annotate(dump, inclusive=True):
            m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
            if not m or "durar::" not in m.group(2):
                continue
            name = short_name(m.group(2))
            if name in seen or name.startswith(("std::", "asio::", "void std::")):
                continue
            seen.add(name)
            print(f"  {int(m.group(1).replace(',', '')) / args.requests:>10,.0f}  {name[:110]}")
            shown += 1
            if shown == args.top:
                break
    finally:
        if gw is not None:
            gw.stop()
        fake.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
