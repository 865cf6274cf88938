#!/usr/bin/env python3
"""The scale benchmark of issue 15: what a user runs, end to end, beside its floor.

    cargo build --release --bin roster --example parse-floor
    python3 benches/scale.py target/release/roster target/release/examples/parse-floor \\
        [--sizes 1000,10000,100000] [--runs 3] [--apply-changes 1000] [--vs OTHER_ROSTER]

For each size it generates an account (benches/gen_account.py: 100 files, 10% licensed,
departments, a custom attribute, the seed outside the manifest folder) that the manifests
already match, a copy with 1% of the users edited, and one with --apply-changes users
edited (at most the size). Then, in one run and interleaved (A B C D, A B C D, ...), it
times: the parse floor (every YAML document parsed with serde, nothing else), `roster
validate`, `roster plan` with no change, `roster plan` with 1% changed, and an embedded
`roster apply` of the edited copy from a fresh copy of the state (the copy is not timed).
Wall time and peak RSS are per process (wait4). It prints a Markdown table of medians, each
command also as a multiple of the floor, and the microseconds per user (linear growth keeps
that figure flat across sizes). With --vs, a second roster binary (a build from before a
change) runs each step right after the first, on its own copy of the state, and gets its
own row: the two are compared in the same run, under the same load.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))


def run(argv):
    """Runs argv; (seconds, peak RSS in MiB). Fails loudly on a non-zero exit."""
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    took = time.perf_counter() - start
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        sys.exit(f"{' '.join(argv)} exited {code}:\n{err}")
    return took, usage.ru_maxrss / 1024


def generate(work, n, apply_changes):
    gen = os.path.join(here, "gen_account.py")
    for name, changed in (("m", 0), ("m1", max(1, n // 100)), ("mk", min(n, apply_changes))):
        subprocess.run([sys.executable, gen, work, str(n), str(changed), name], check=True)


def measure(args, n):
    """Medians per binary and step: {binary: {step: (seconds, peak MiB)}}."""
    work = tempfile.mkdtemp(prefix=f"scale-{n}-")
    try:
        generate(work, n, args.apply_changes)
        m, m1, mk = (os.path.join(work, x) for x in ("m", "m1", "mk"))
        cmds = {"floor": lambda: run([args.floor, m])}
        for b in binaries(args):
            state = os.path.join(work, f"state-{len(cmds)}")
            # Warm-up, not timed: the first plan creates the simulated cloud from the seed.
            run([b, "--state", state, "plan", m])
            cmds[(b, "validate")] = lambda b=b: run([b, "validate", m])
            cmds[(b, "plan")] = lambda b=b, s=state: run([b, "--state", s, "plan", m])
            cmds[(b, "plan 1%")] = lambda b=b, s=state: run([b, "--state", s, "plan", m1])
            cmds[(b, "apply")] = lambda b=b, s=state: apply_once(b, s, mk, work)
        seen = {k: [] for k in cmds}
        for _ in range(args.runs):
            for k, f in cmds.items():
                seen[k].append(f())
        return {k: (statistics.median(t for t, _ in v), max(r for _, r in v)) for k, v in seen.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def binaries(args):
    return [args.roster] + ([args.vs] if args.vs else [])


def apply_once(roster, state, manifests, work):
    fresh = tempfile.mkdtemp(dir=work)
    shutil.rmtree(fresh)
    shutil.copytree(state, fresh)
    try:
        return run([roster, "--state", fresh, "apply", "--auto-approve", manifests])
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("roster")
    ap.add_argument("floor")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--apply-changes", type=int, default=1000)
    ap.add_argument("--vs", help="a second roster binary, measured beside the first")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"| users | roster | floor s | validate s (× floor) | plan s (× floor) | plan 1% s (× floor) | plan MiB | apply of min(users, {args.apply_changes}) edits s (ms each) | plan µs/user |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        r = measure(args, n)
        floor = r["floor"][0]
        k = min(n, args.apply_changes)
        for b in binaries(args):
            x = lambda step: f"{r[(b, step)][0]:.2f} ({r[(b, step)][0] / floor:.1f}×)"
            print(f"| {n:,} | {b} | {floor:.2f} | {x('validate')} | {x('plan')} | {x('plan 1%')} | {r[(b, 'plan')][1]:.0f} "
                  f"| {r[(b, 'apply')][0]:.2f} ({1000 * r[(b, 'apply')][0] / k:.1f}) | {1e6 * r[(b, 'plan')][0] / n:.0f} |", flush=True)


if __name__ == "__main__":
    main()
