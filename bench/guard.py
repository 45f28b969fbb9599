#!/usr/bin/env python3
"""The speed regression guard of `./x test` (about 30 seconds).

One server (the build the tests use: `target/debug/dialtone` unless --bin says otherwise) on a fresh
database answers, in alternation, add_phone (the shared workload) and a static file (/favicon.ico), each
at 8 connections for a few seconds, three times. A machine that is slower or busier slows both; a
change that makes add_phone (or everything per request) slower lowers the ratio add_phone / static.
The guard fails when the median ratio is below half of the ratio recorded in bench/README.md (the line
`guard ratio (<profile> build): <number>`), and prints what it measured either way.

    bench/guard.py [--bin PATH] [--profile debug|release] [--seconds N] [--rounds N]
"""
import argparse
import os
import re
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api  # noqa: E402  (the benchmark's server and wrk helpers)


def recorded_ratio(profile):
    text = open(os.path.join(api.ROOT, "bench/README.md"), encoding="utf-8").read()
    m = re.search(rf"guard ratio \({profile} build\):\s*([\d.]+)", text)
    if not m:
        raise SystemExit(f"bench/README.md records no 'guard ratio ({profile} build): N' line")
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="debug", choices=["debug", "release"])
    ap.add_argument("--bin")
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    api.BIN = args.bin or os.path.join(api.ROOT, "target", args.profile, "dialtone")
    work = tempfile.mkdtemp(prefix="dialtone-guard-")
    db = os.path.join(work, "guard.db")
    api.fresh_db(db)
    server = api.Server(db, work)
    ratios = []
    try:
        for i in range(args.rounds):
            add = api.wrk(8, args.seconds, ["-s", api.LUA, server.base, "--", f"g{i}"])
            static = api.wrk(8, args.seconds, [f"{server.base}/favicon.ico"])
            if add["bad"] or static["bad"]:
                raise SystemExit(f"wrong answers during the guard: add_phone {add}, static {static}")
            ratios.append(add["rps"] / static["rps"])
            print(f"  round {i + 1}: add_phone {add['rps']:,.0f}/s, static {static['rps']:,.0f}/s, "
                  f"ratio {ratios[-1]:.4f}")
    finally:
        server.stop()
    ratio = statistics.median(ratios)
    recorded = recorded_ratio(args.profile)
    verdict = "ok" if ratio >= recorded / 2 else "FAILED"
    print(f"speed guard ({args.profile} build): median ratio add_phone/static {ratio:.4f}, recorded {recorded:.4f}, "
          f"limit {recorded / 2:.4f}: {verdict}")
    if verdict != "ok":
        sys.exit(1)


if __name__ == "__main__":
    main()
