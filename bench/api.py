#!/usr/bin/env python3
"""The legacy API benchmark (run by `./x bench` after the release build).

Every cell starts the release server on a fresh database (one server, user apiadmin) and drives it
with wrk -t1 on the same machine. The "100k" cell starts from a copy of a database filled to 100,000+
phones through the API itself. Prints one table with each cell, its p50/p99 and the ratio to
VICIdial's figure on the same workload (../shared/bench/README.md, else the copy below), and writes the
same as JSON.

    bench/api.py [--seconds N] [--json PATH] [--cells add1,add8,...]
"""
import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/dialtone")
LUA = os.path.join(ROOT, "bench/add_phone_new.lua")
API = "/vicidial/non_agent_api.php"

# VICIdial's own non_agent_api.php on this workload (Apache + mod_php + MariaDB, 2 cores shared with
# wrk), from ../shared/bench/README.md: the lower figure of each measured range.
VICIDIAL = {
    "add1": 182,
    "add8": 310,
    "add32": 284,
    "add8_100k": 21,
    "version8": 741,
    "badpass8": 832,
}
# Which row of ../shared/bench/README.md's table each cell reads.
VICIDIAL_ROWS = {
    "add1": "add_phone, c=1, empty table",
    "add8": "add_phone, c=8, empty table",
    "add32": "add_phone, c=32, empty table",
    "add8_100k": "add_phone, c=8, 100,000 phones",
    "version8": "`function=version`, c=8",
    "badpass8": "add_phone with a wrong password, c=8",
}
CELLS = {
    "add1": "add_phone, c=1, empty",
    "add8": "add_phone, c=8, empty",
    "add32": "add_phone, c=32, empty",
    "add8_100k": "add_phone, c=8, 100,000 phones",
    "version8": "`function=version`, c=8",
    "badpass8": "add_phone, wrong password, c=8",
    "static8": "a static file (/favicon.ico), c=8",
}


def vicidial_figures():
    """VICIdial's figures, read from the shared README when it is there."""
    figures = dict(VICIDIAL)
    path = os.path.join(ROOT, "..", "shared", "bench", "README.md")
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return figures
    for cell, row in VICIDIAL_ROWS.items():
        m = re.search(r"^\|\s*" + re.escape(row) + r"\s*\|\s*([\d,]+)", text, re.M)
        if m:
            figures[cell] = int(m.group(1).replace(",", ""))
    return figures


class Server:
    """The release server on `db`, on a free port."""

    def __init__(self, db, work):
        self.port = free_port()
        env = dict(os.environ, DIALTONE_LOG="warn", LEPTOS_SITE_ROOT=os.path.join(ROOT, "target/site"))
        self.log = open(os.path.join(work, "server.log"), "ab")
        self.proc = subprocess.Popen(
            [BIN, "--database", db, "--conf-dir", os.path.join(work, "conf"), "serve", "--listen",
             f"127.0.0.1:{self.port}"], env=env, stdout=self.log, stderr=self.log)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{self.base}{API}?function=version", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the server did not start; see " + self.log.name)

    def peak_rss_mb(self):
        try:
            for line in open(f"/proc/{self.proc.pid}/status"):
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
        except OSError:
            pass
        return None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_db(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    subprocess.run([BIN, "--database", path, "server", "add", "--ip", "10.10.10.15", "--id", "TESTast"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([BIN, "--database", path, "user", "add", "--user", "apiadmin", "--pass", "apipass1",
                    "--level", "9", "--api-access", "--ast-admin"], check=True, stdout=subprocess.DEVNULL)


def wrk(connections, seconds, args):
    """Runs wrk; returns requests/s, p50 and p99 in ms, and how many answers were wrong."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency"] + args
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=os.path.join(ROOT, "bench")).stdout
    if "RESULT_JSON" in out:
        d = json.loads(out.split("RESULT_JSON ", 1)[1].splitlines()[0])
        return {"rps": d["rps"], "p50_ms": d["lat_ms"]["p50"], "p99_ms": d["lat_ms"]["p99"], "bad": d["bad"]}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        v = float(m.group(1))
        return round(v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v, 2)

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p50_ms": pct(50), "p99_ms": pct(99), "bad": int(non2xx.group(1)) if non2xx else 0}


def run_cell(cell, seconds, work, filled):
    db = os.path.join(work, "run.db")
    if cell == "add8_100k":
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        shutil.copy(filled, db)
    else:
        fresh_db(db)
    server = Server(db, work)
    try:
        base = server.base
        if cell.startswith("add"):
            c = {"add1": 1, "add8": 8, "add32": 32, "add8_100k": 8}[cell]
            # The run tag goes into each extension and login (at most 15 characters in all).
            tag = {"add1": "e1", "add8": "e8", "add32": "e32", "add8_100k": "h8"}[cell]
            result = wrk(c, seconds, ["-s", LUA, base, "--", tag])
        elif cell == "version8":
            result = wrk(8, seconds, [f"{base}{API}?function=version"])
        elif cell == "badpass8":
            result = wrk(8, seconds, [f"{base}{API}?source=perf&user=apiadmin&pass=wrong&function=add_phone"])
        elif cell == "static8":
            result = wrk(8, seconds, [f"{base}/favicon.ico"])
        else:
            raise SystemExit(f"unknown cell {cell}")
        result["peak_rss_mb"] = server.peak_rss_mb()
        return result
    finally:
        server.stop()


def fill(work, phones):
    """A database with `phones` phones added through the API (wrk, 32 connections)."""
    base_db = os.path.join(work, "filled.db")
    fresh_db(base_db)
    server = Server(base_db, work)
    try:
        i = 0
        while True:
            n = sqlite3.connect(f"file:{base_db}?mode=ro", uri=True).execute("select count(*) from phones").fetchone()[0]
            if n >= phones:
                break
            i += 1
            wrk(32, 5, ["-s", LUA, server.base, "--", f"f{i}"])
    finally:
        server.stop()
    return base_db, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--json", default=os.path.join(ROOT, "target/bench-api.json"))
    ap.add_argument("--cells", default="add1,add8,add32,add8_100k,version8,badpass8,static8")
    ap.add_argument("--phones", type=int, default=100_000)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing (apt-get install wrk)")
    cells = args.cells.split(",")
    vici = vicidial_figures()
    work = tempfile.mkdtemp(prefix="dialtone-bench-")
    results = {}
    try:
        filled, n = (fill(work, args.phones) if "add8_100k" in cells else (None, 0))
        for cell in cells:
            results[cell] = run_cell(cell, args.seconds, work, filled)
            if cell == "add8_100k":
                results[cell]["phones_before"] = n
            print(f"  {cell}: {results[cell]}", file=sys.stderr, flush=True)
            if results[cell]["bad"]:
                raise SystemExit(f"{cell}: {results[cell]['bad']} answers were not the expected ones")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = []
    for cell in cells:
        r = results[cell]
        v = vici.get(cell)
        r["vicidial_rps"] = v
        r["ratio"] = round(r["rps"] / v, 1) if v else None
        rows.append(r)
    print(f"\nlegacy API, {args.seconds} s per cell, wrk -t1 on the same {os.cpu_count()} cores "
          f"({time.strftime('%Y-%m-%d')}, {platform.node()})\n")
    print("| cell | requests/s | p50 ms | p99 ms | peak RSS | VICIdial requests/s | ratio |")
    print("|---|---|---|---|---|---|---|")
    for cell, r in zip(cells, rows):
        ratio = f"{r['ratio']}x" if r["ratio"] else "-"
        vic = f"{r['vicidial_rps']:,}" if r["vicidial_rps"] else "-"
        print(f"| {CELLS[cell]} | {r['rps']:,.0f} | {r['p50_ms']} | {r['p99_ms']} | {r['peak_rss_mb']} MB | {vic} | {ratio} |")
    report = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": platform.node(), "cpus": os.cpu_count(),
              "seconds_per_cell": args.seconds, "cells": {c: {"label": CELLS[c], **results[c]} for c in cells}}
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    print(f"\nwritten: {args.json}")


if __name__ == "__main__":
    main()
