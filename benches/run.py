#!/usr/bin/env python3
"""Whole-process benchmark of `infrac build` and `infrac check` of pro on the scaling workload.

usage: run.py [SIZE...] [--runs N] [--infrac PATH]
  SIZE: small, medium, large or L,M (default: small medium large)

For each size: generates the workload (benches/gen.py), then runs each command N times (default 5)
and reports the median wall time, the median CPU time (user + system) and the peak RSS
(`/usr/bin/time -f %M`), plus the time per component. Start-up is measured on a trivial project.
Figures go to standard output as a Markdown table, the format of docs/performance.md.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = {"small": (4, 10), "medium": (20, 50), "large": (50, 200)}


def measure(command, runs):
    walls, cpus, rss = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        # Standard output goes to /dev/null, as with hyperfine: what is measured is infrac, not a
        # pipe into this script (eval prints megabytes).
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%U %S %M", *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        walls.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
        user, system, peak = result.stderr.strip().splitlines()[-1].split()
        cpus.append(float(user) + float(system))
        rss.append(int(peak))
    return statistics.median(walls), statistics.median(cpus), max(rss)


def main():
    args = sys.argv[1:]
    runs = 5
    infrac = os.path.join(HERE, "..", "target", "release", "infrac")
    sizes = []
    while args:
        arg = args.pop(0)
        if arg == "--runs":
            runs = int(args.pop(0))
        elif arg == "--infrac":
            infrac = args.pop(0)
        else:
            sizes.append(arg)
    sizes = sizes or ["small", "medium", "large"]
    work = tempfile.mkdtemp(prefix="infrac-bench-")
    print(f"infrac {infrac}, {runs} runs each, {os.cpu_count()} CPUs\n")
    print("| size | components | command | wall (median) | CPU (median) | peak RSS | wall per component |")
    print("|---|---|---|---|---|---|---|")
    trivial = os.path.join(work, "trivial")
    os.makedirs(trivial)
    with open(os.path.join(trivial, "p.infra"), "w") as handle:
        handle.write('project p {\n  region = "eu-west-1"\n  state = { bucket = "b" }\n}\nenv dev {\n}\n')
    wall, cpu, rss = measure([infrac, "check", os.path.join(trivial, "p.infra")], runs)
    print(f"| trivial | 0 | check | {wall * 1000:.1f} ms | {cpu * 1000:.0f} ms | {rss / 1024:.1f} MB | |")
    for size in sizes:
        layers, per_layer = SIZES[size] if size in SIZES else map(int, size.split(","))
        components = layers * per_layer
        project = os.path.join(work, size)
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), size, project], check=True)
        pro = os.path.join(project, "pro.infra")
        out = os.path.join(work, f"out-{size}")
        for name, command in [("check", [infrac, "check", pro]), ("eval", [infrac, "eval", pro]), ("build", [infrac, "build", pro, "--out", out])]:
            wall, cpu, rss = measure(command, runs)
            print(f"| {size} | {components} | {name} | {wall * 1000:.0f} ms | {cpu * 1000:.0f} ms | {rss / 1024:.0f} MB | {wall / components * 1e6:.0f} µs |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
