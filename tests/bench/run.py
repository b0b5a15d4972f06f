#!/usr/bin/python3
"""make bench: screens a generated 1,000,000-row HubSpot CSV against 10,000
and 100,000 relations with `contactwatchctl check`, and reports wall time,
rows/s, peak RSS and matches, next to the time Python's csv module needs
merely to read the same file. Inputs are generated (deterministically) under
build/bench/, never committed.

Each line also gives the split `contactwatchctl check --timing` reports (load:
config and catalogues; index: match_index_new; files: reading and matching;
output) and, as "ingest only", the files time of the same file screened for an
employee with a single relation (B0), which is what reading, hashing,
decoding and tokenizing cost without the matcher.

The two sizes are timed in interleaved rounds (10k, 100k, 10k, 100k, ...;
BENCH_ROUNDS, 5 by default) and each reports its best round: a machine that
is slower for a while (a busy neighbour on a shared host) then slows both
alike, where timing all of one size before the other let such a spell land
on one of them and move the growth figure by a tenth. The growth line gives
the ratio of the best rounds and, as a check on it, of the medians."""
import json
import os
import re
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "5")))
OUT = os.path.join(ROOT, "build", "bench")


def generate(name, relations):
    d = os.path.join(OUT, name)
    if not os.path.exists(os.path.join(d, "hubspot.csv")):
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), d, str(ROWS), str(relations)], check=True)
    return d


def add_baseline(d):
    """Employee B0: one relation nobody in the file matches, so that its check
    costs what reading the file costs."""
    with open(os.path.join(d, "relations", "one.json"), "w") as f:
        json.dump({"relations": [{"id": "X1", "type": "company", "name": "Qqxyzzy Nowhere B.V."}]}, f)
    with open(os.path.join(d, "staff.d", "B0.conf"), "w") as f:
        f.write("[employee]\nId=B0\nName=Base Line\nDepartureDate=2026-06-30\n"
                "[clause]\nDuration=12months\nRelations=one.json\n")


def timing(err):
    m = re.search(rb"timing: load ([0-9.]+) s, index ([0-9.]+) s, files ([0-9.]+) s, output ([0-9.]+) s, "
                  rb"free index ([0-9.]+) s, free rest ([0-9.]+) s", err)
    return tuple(float(x) for x in m.groups()) if m else (0.0,) * 6


def run_check(d, employee="B1"):
    """One timed run: (wall seconds, JSON output, (load, index, files, output, free index, free rest),
    CPU seconds (user + system, all threads))."""
    argv = [os.path.join(BUILD, "contactwatchctl"), "-c", os.path.join(d, "contactwatch.conf"), "--json",
            "--timing", "check", "-e", employee, os.path.join(d, "hubspot.csv")]
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ,
                         "STATE_DIRECTORY": os.path.join(d, "state")})
    out, err = p.communicate()
    wall = time.perf_counter() - t
    ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru2.ru_utime - ru.ru_utime) + (ru2.ru_stime - ru.ru_stime)
    if p.returncode not in (0, 1):
        sys.exit(f"check failed ({p.returncode}): {err.decode()[-2000:]}")
    return wall, json.loads(out), timing(err), cpu


def peak_rss_kib(d):
    """Peak RSS of a separate run, measured with getrusage(RUSAGE_CHILDREN)
    in a fresh interpreter so that earlier children do not count."""
    code = ("import resource,subprocess,sys,os;"
            "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL,"
            "env={**os.environ,'STATE_DIRECTORY':os.environ['BENCH_STATE']});"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    argv = [sys.executable, "-c", code, os.path.join(BUILD, "contactwatchctl"), "-c",
            os.path.join(d, "contactwatch.conf"), "--json", "check", "-e", "B1", os.path.join(d, "hubspot.csv")]
    p = subprocess.run(argv, stdout=subprocess.PIPE, check=True,
                       env={**os.environ, "BENCH_STATE": os.path.join(d, "state")})
    return int(p.stdout)


def python_csv(path):
    p = subprocess.run([sys.executable, os.path.join(HERE, "pycsv.py"), path], stdout=subprocess.PIPE, check=True)
    return float(p.stdout.split()[0])


def best_of(n, f):
    runs = [f() for _ in range(n)]
    return min(runs, key=lambda r: r[0])


def median(xs):
    xs = sorted(xs)
    return (xs[(len(xs) - 1) // 2] + xs[len(xs) // 2]) / 2


def main():
    sets = (("10k", 10000), ("100k", 100000))
    dirs = {name: generate(name, rels) for name, rels in sets}
    for d in dirs.values():
        add_baseline(d)
    runs = {name: [] for name, _ in sets}
    for _ in range(ROUNDS):
        for name, _ in sets:
            runs[name].append(run_check(dirs[name]))
    results, medians = {}, {}
    for name, _ in sets:
        d = dirs[name]
        wall, j, (t_load, t_index, t_files, t_out, t_free_idx, t_free), cpu = min(runs[name], key=lambda r: r[0])
        medians[name] = median([r[0] for r in runs[name]])
        base = best_of(3, lambda: run_check(d, "B0"))[2][2]
        rss = peak_rss_kib(d)
        py = min(python_csv(os.path.join(d, "hubspot.csv")) for _ in range(3))
        size = os.path.getsize(os.path.join(d, "hubspot.csv"))
        results[name] = wall
        print(f"bench {name:>4} relations: {ROWS} rows ({size / 1e6:.1f} MB): check {wall:.2f} s "
              f"(best of {ROUNDS}, median {medians[name]:.2f} s) "
              f"({ROWS / wall / 1e6:.2f} M rows/s), peak RSS {rss / 1024:.1f} MiB, "
              f"{len(j['matches'])} matches; Python csv read {py:.2f} s; ratio check/python {wall / py:.2f}")
        print(f"bench {name:>4} cpu: {cpu:.2f} s user+system over {os.cpu_count()} online CPU(s) "
              f"(matching runs on worker threads beside the reader)")
        print(f"bench {name:>4} split: load {t_load:.3f} s, index {t_index:.3f} s, files {t_files:.3f} s "
              f"(ingest only {base:.3f} s, so matching ~{max(t_files - base, 0):.3f} s), output {t_out:.3f} s, "
              f"free: index {t_free_idx:.3f} s, rest {t_free:.3f} s")
    print(f"bench growth: 100k relations cost {results['100k'] / results['10k']:.2f}x of 10k "
          f"(best rounds; medians: {medians['100k'] / medians['10k']:.2f}x)")


if __name__ == "__main__":
    main()
