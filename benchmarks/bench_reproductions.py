"""Benchmark: wall time of the three spectral-bias reproductions, reduced (default) or full size.

Run:  python benchmarks/bench_reproductions.py                 # reduced sizes (the demo's)
      python benchmarks/bench_reproductions.py --full          # the papers' sizes
      python benchmarks/bench_reproductions.py --full --only basri --resume runs/basri

Full sizes: Basri et al. m = 4000, 1001 points, frequencies 1..30 x 5 seeds, cap 30000
(funkhecke.reproductions.papers.BASRI_FULL); Cao et al. n = 10, 1000 points, width 4096, 800
steps (CAO_FULL); Vempala-Wilmes n = 10, m = 4000, 1500 steps (VW_FULL).  Goal of issue 18:
each full reproduction <= 30 min on two cores.

For each reproduction: wall time, CPU time of this process and their ratio (the cores it
actually got: the machine may be shared; the load average before and after is printed), and
the headline numbers (Basri: per-frequency iterations measured vs predicted, the slopes).
``--resume DIR`` keeps Basri's finished runs there (a rerun continues; the time is then that
of the remaining runs).  ``--json PATH`` writes every number (atomically).  No assertions.
"""

from __future__ import annotations

import argparse
import os
import time

from funkhecke.demo import DEMO_SIZES
from funkhecke.reproductions import papers


def _timed(name, fn):
    load0 = os.getloadavg()[0]
    c0, t0 = time.process_time(), time.perf_counter()
    rep = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    load1 = os.getloadavg()[0]
    print(
        f"\n== {name}: {wall:.1f} s wall ({wall / 60:.1f} min), {cpu:.1f} s CPU "
        f"(= {cpu / wall:.2f} cores busy), load average {load0:.2f} -> {load1:.2f}"
    )
    return rep, {"wall_s": wall, "cpu_s": cpu, "load_before": load0, "load_after": load1}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the papers' sizes (minutes)")
    ap.add_argument("--only", default="vw,cao,basri", help="comma-separated: vw, cao, basri")
    ap.add_argument("--resume", metavar="DIR", help="Basri: keep / reuse finished runs in DIR")
    ap.add_argument("--no-progress", action="store_true", help="no progress bars")
    ap.add_argument("--json", metavar="PATH", help="write the numbers to PATH (JSON)")
    args = ap.parse_args()
    progress = not args.no_progress
    threads = os.environ.get("NUMBA_NUM_THREADS", "default")
    print(f"{'full' if args.full else 'reduced'} sizes, NUMBA_NUM_THREADS={threads}")
    out = {}
    for name in args.only.split(","):
        if name == "vw":
            kw = {"full": True} if args.full else dict(DEMO_SIZES["vw"])
            rep, t = _timed("Vempala-Wilmes", lambda kw=kw: papers.vempala_wilmes(**kw))
        elif name == "cao":
            kw = {"full": True} if args.full else dict(DEMO_SIZES["cao"])
            rep, t = _timed("Cao et al.", lambda kw=kw: papers.cao_et_al(**kw))
        elif name == "basri":
            kw = {"full": True} if args.full else dict(DEMO_SIZES["basri"])
            kw.update(progress=progress, echo=print, resume_dir=args.resume)
            rep, t = _timed("Basri et al.", lambda kw=kw: papers.basri_et_al(**kw))
        else:
            raise SystemExit(f"--only: unknown reproduction {name!r} (vw, cao, basri)")
        print(rep.table())
        print("summary:", rep.summary)
        out[name] = {**t, "setup": rep.setup, "summary": rep.summary, "rows": rep.rows}
    if args.json:
        from harmonics._infra.jsonio import atomic_write_text, json_dumps

        atomic_write_text(args.json, json_dumps(out, indent=1))
        print(f"numbers written to {args.json}")


if __name__ == "__main__":
    main()
