#!/usr/bin/python3
"""The benchmark driver (`make bench`, bench/README.md); standard library only.

Builds the C peers, writes the shared data and initial weights once, then
runs nnc and every peer that is present, round after round (the order
rotated each round), each run after waiting for an idle machine, and prints
a table of medians.  Settings (environment):

  BENCH_ROUNDS        rounds (5)
  BENCH_WORKLOADS     comma-separated, of S1, S3, M, M-adam, M-momentum, F
                      (S1,S3,M)
  BENCH_PEERS         comma-separated subset of the peers (all)
  BENCH_M_EPOCHS      epochs of workload M (and M-adam, M-momentum) per run (1)
  BENCH_F_EPOCHS      epochs of workload F per run (20)
  BENCH_IDLE_BUSY     a run starts when fewer than this many CPUs are busy (0.3)
  BENCH_IDLE_TIMEOUT  seconds to wait for that before running anyway (60)
  BENCH_PYTHON        the Python with NumPy and PyTorch (/usr/bin/python3)
  BENCH_FASHION       the Fashion-MNIST folder (/usr/share/datasets/fashion-mnist)
  CC                  the C compiler of the C peers (cc)
  BENCH_BASELINE      the build folder of an earlier nnc (its bench/nnc_s and
                      bench/nnc_m), timed as the peers "baseline" (and
                      "baseline-2t" for M) in the same rounds; the table then
                      ends with current/baseline per workload
                      (`make bench-compare BASE=<commit>` builds one)
  BENCH_BASELINE_COMMIT  the name of that build in the table (its folder)

Usage: run.py BUILD_DIR   (BUILD_DIR/bench holds nnc_s, nnc_m and nnc_f)
"""
import array
import datetime
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEED = 20240501
S_ROWS = 1000
WORKLOADS = ("S1", "S3", "M", "M-adam", "M-momentum", "F")
# M's rows with another optimizer: nnc_m's and torch_m.py's arguments.
# Momentum's lr 0.01 with alpha 0.9 moves as far in the long run as SGD's
# 0.1 (lr/(1 − alpha)); Adam's 0.001 is the book's (and PyTorch's) default.
M_OPTIMIZERS = {"M-adam": ["--optimizer", "adam", "--eta", "0.001"],
                "M-momentum": ["--optimizer", "momentum", "--eta", "0.01"]}


def env(name, default):
    v = os.environ.get(name, "")
    return v if v else default


def write_shared(work):
    """The S data (1000 rows of x ~ U[0,1), y = sin(2πx), CSV), the S initial
    weights (Xavier U(±√(6/(n_in+n_out))), per H) and the M initial weights
    (Xavier, raw float32), then F's (784-256-128-10, likewise): the same
    files for every peer."""
    r = random.Random(SEED)
    with open(os.path.join(work, "s_data.csv"), "w") as f:
        f.write("x,y\n")
        for _ in range(S_ROWS):
            x = r.random()
            f.write("%.17g,%.17g\n" % (x, math.sin(2 * math.pi * x)))
    for h in (1, 3):
        lim = math.sqrt(6 / (1 + h))
        with open(os.path.join(work, "s_init_h%d.txt" % h), "w") as f:
            for _ in range(2):
                f.write(" ".join("%.17g" % r.uniform(-lim, lim) for _ in range(h)) + "\n")
    w = array.array("f")
    for a, b in ((784, 128), (128, 64), (64, 10)):
        lim = math.sqrt(6 / (a + b))
        w.extend(r.uniform(-lim, lim) for _ in range(a * b))
    write_f32(os.path.join(work, "m_init.f32"), w)
    w = array.array("f")
    for a, b in ((784, 256), (256, 128), (128, 10)):
        lim = math.sqrt(6 / (a + b))
        w.extend(r.uniform(-lim, lim) for _ in range(a * b))
    write_f32(os.path.join(work, "f_init.f32"), w)


def write_f32(path, w):
    if sys.byteorder != "little":
        w.byteswap()
    with open(path, "wb") as f:
        f.write(w.tobytes())


def compile_c(work, name, libs):
    cc = env("CC", "cc")
    out = os.path.join(work, name)
    cmd = [cc, "-O3", "-march=native", "-std=c11", "-D_POSIX_C_SOURCE=200809L",
           os.path.join(HERE, name + ".c"), "-o", out] + libs + ["-lm"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["?"])[-1]
        return None, "does not build (%s)" % last
    return out, None


def python_has(py, module):
    try:
        return subprocess.run([py, "-c", "import " + module], capture_output=True,
                              timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[3] + (v[4] if len(v) > 4 else 0), sum(v)  # idle + iowait, total


def busy_cpus(interval=0.5):
    """CPUs busy over the last interval, from /proc/stat (the 1-minute load
    average where there is none)."""
    try:
        i0, t0 = cpu_times()
        time.sleep(interval)
        i1, t1 = cpu_times()
        return (1 - (i1 - i0) / max(t1 - t0, 1)) * (os.cpu_count() or 1)
    except OSError:
        return os.getloadavg()[0]


def wait_idle(threshold, timeout):
    """Waits until fewer than threshold CPUs are busy; returns (waited, busy)
    with busy None when the machine went idle in time."""
    start = time.monotonic()
    busy = busy_cpus()
    while busy >= threshold:
        if time.monotonic() - start > timeout:
            return time.monotonic() - start, busy
        busy = busy_cpus()
    return time.monotonic() - start, None


GNU_TIME = "/usr/bin/time"
RESULT_RE = re.compile(r"^RESULT (.*)$", re.M)


def run_one(cmd, cwd, env_vars):
    """Runs cmd; returns (fields of its RESULT line or None, its peak RSS in
    MB, error text)."""
    # A process's ru_maxrss keeps the high-water mark of the memory it had
    # before its exec (the driver's ~13 MB here), so GNU time, small itself,
    # forks the program and reports its peak (%M, KiB); without it, wait4.
    out_path = os.path.join(cwd, "last_run.out")
    rss_path = os.path.join(cwd, "last_run.rss")
    if os.path.exists(rss_path):
        os.remove(rss_path)
    if os.access(GNU_TIME, os.X_OK):
        cmd = [GNU_TIME, "-f", "%M", "-o", rss_path] + cmd
    pid = os.posix_spawn(cmd[0], cmd, env_vars, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2)])
    _, status, ru = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(out_path) as f:
        text = f.read()
    rss = ru.ru_maxrss / 1024.0
    try:
        with open(rss_path) as f:
            rss = int(f.read().split()[-1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    m = RESULT_RE.search(text)
    if code != 0 or not m:
        tail = " | ".join(text.strip().splitlines()[-3:])
        return None, rss, "exit %d: %s" % (code, tail)
    fields = dict(kv.split("=", 1) for kv in m.group(1).split())
    return fields, rss, None


def machine():
    model = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        flags = "AVX-512" if "avx512f" in info else ("AVX2" if "avx2" in info else "")
    except OSError:
        pass
    return "%s, %d CPUs%s" % (model, os.cpu_count() or 0, ", " + flags if flags else "")


def commit():
    try:
        h = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src",
                                "include", "bench"], capture_output=True,
                               text=True).stdout.strip()
        return h + (" + uncommitted changes" if dirty else "")
    except OSError:
        return "?"


def baseline_table(workloads, plan, results, base_name):
    """The lines of the before/after table: per workload, the current nnc's
    median time over the baseline's (each pair timed in the same rounds, the
    order of the two alternating), whether it is within the 3 % that issue 18
    allows, and whether their results agree to the digits printed (the same
    bits give the same digits)."""
    lines = ["Against the baseline nnc at %s: current/baseline = the current build's "
             "median time over the baseline's (below 1: the current build is faster)."
             % base_name, "",
             "| workload | build | current s | baseline s | current/baseline "
             "| within 3 % | same loss and accuracy |", "|---|---|---:|---:|---:|---|---|"]
    for w in workloads:
        peers = [p for p, _ in plan[w]]
        for cur, base in (("nnc", "baseline"), ("nnc-2t", "baseline-2t")):
            if cur not in peers or base not in peers:
                continue
            a, b = results.get((w, cur)), results.get((w, base))
            if not a or not b:
                lines.append("| %s | %s | failed | | | | |" % (w, cur))
                continue
            ta = statistics.median(float(f["seconds"]) for f, _ in a)
            tb = statistics.median(float(f["seconds"]) for f, _ in b)
            same = {(f["loss"], f["accuracy"]) for f, _ in a + b}
            lines.append("| %s | %s | %.4g | %.4g | %.3f | %s | %s |" % (
                w, cur, ta, tb, ta / tb, "yes" if ta <= 1.03 * tb else "NO",
                "yes" if len(same) == 1 else
                "NO: " + ", ".join("loss %s accuracy %s" % kv for kv in sorted(same))))
    return lines


def median_seconds(results, w, peer):
    runs = results.get((w, peer))
    return statistics.median(float(f["seconds"]) for f, _ in runs) if runs else None


def optimizer_lines(workloads, results):
    """Issue 19's bounds on the cost of a stateful step: nnc's epoch of M
    with Adam over its epoch with SGD (at most 1.15) and with momentum (at
    most 1.10), each median from the same rounds."""
    sgd = median_seconds(results, "M", "nnc")
    lines = []
    for w, bound in (("M-adam", 1.15), ("M-momentum", 1.10)):
        t = median_seconds(results, w, "nnc")
        if w not in workloads or t is None:
            continue
        if sgd is None:
            lines.append("%s: nnc %.4g s (run M in the same rounds for the ratio to SGD)."
                         % (w, t))
            continue
        lines.append("%s: nnc's epoch %.4g s over its SGD epoch %.4g s = %.3f "
                     "(issue 19: at most %.2f: %s)."
                     % (w, t, sgd, t / sgd, bound, "yes" if t / sgd <= bound else "NO"))
    if lines:
        lines = ["", "M-adam: Adam lr 0.001 (beta1 0.9, beta2 0.999, eps 1e-8); "
                 "M-momentum: momentum lr 0.01, alpha 0.9; otherwise as M."] + lines
    return lines


def f_lines(workloads, results, f_epochs):
    """F per epoch, PyTorch's time over nnc's, and issue 19's targets: nnc's
    test accuracy at least 0.89, PyTorch's within 0.5 points of it, nnc at
    least 3x faster."""
    if "F" not in workloads:
        return []
    lines = ["", "F: 784-256-128-10 ReLU, dropout 0.2 after each hidden layer, Adam lr "
             "0.001, batch 128, %s epoch(s) of 60,000 images; loss and accuracy on the "
             "10,000 test images after the last." % f_epochs]
    t_nnc, t_torch = (median_seconds(results, "F", p) for p in ("nnc", "torch"))
    acc = {p: statistics.median(float(f["accuracy"]) for f, _ in results[("F", p)])
           for p in ("nnc", "torch") if results.get(("F", p))}
    epochs = int(f_epochs)
    if t_nnc is not None:
        lines.append("F per epoch: nnc %.4g s%s; nnc's test accuracy %.4f (target >= 0.89: %s)."
                     % (t_nnc / epochs,
                        ", PyTorch %.4g s, torch/nnc %.2f (target >= 3: %s)"
                        % (t_torch / epochs, t_torch / t_nnc,
                           "yes" if t_torch >= 3 * t_nnc else "NO") if t_torch else "",
                        acc["nnc"], "yes" if acc["nnc"] >= 0.89 else "NO"))
    if "nnc" in acc and "torch" in acc:
        gap = abs(acc["torch"] - acc["nnc"]) * 100
        lines.append("F: PyTorch's test accuracy %.4f, %.2f points from nnc's "
                     "(target within 0.5: %s)." % (acc["torch"], gap,
                                                  "yes" if gap <= 0.5 else "NO"))
    return lines


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    work = os.path.join(build, "bench")
    os.makedirs(work, exist_ok=True)
    rounds = int(env("BENCH_ROUNDS", "5"))
    workloads = [w.strip() for w in env("BENCH_WORKLOADS", "S1,S3,M").split(",") if w.strip()]
    wanted = [p.strip() for p in env("BENCH_PEERS", "").split(",") if p.strip()]
    m_epochs = env("BENCH_M_EPOCHS", "1")
    f_epochs = env("BENCH_F_EPOCHS", "20")
    threshold = float(env("BENCH_IDLE_BUSY", "0.3"))
    idle_timeout = float(env("BENCH_IDLE_TIMEOUT", "60"))
    py = env("BENCH_PYTHON", "/usr/bin/python3")
    fashion = env("BENCH_FASHION", "/usr/share/datasets/fashion-mnist")
    for w in workloads:
        if w not in WORKLOADS:
            sys.exit("run.py: unknown workload %s (%s)" % (w, ", ".join(WORKLOADS)))

    write_shared(work)
    skipped = {}  # peer -> why
    # The peers: name -> (workloads, command for a workload) or a reason to skip.
    nnc_s, nnc_m, nnc_f = (os.path.join(work, n) for n in ("nnc_s", "nnc_m", "nnc_f"))
    for exe in (nnc_s, nnc_m) + ((nnc_f,) if "F" in workloads else ()):
        if not os.access(exe, os.X_OK):
            sys.exit("run.py: %s is missing: build first (make bench)" % exe)
    baseline = env("BENCH_BASELINE", "")
    base_s = base_m = None
    if baseline:
        base_s, base_m = (os.path.join(os.path.abspath(baseline), "bench", n)
                          for n in ("nnc_s", "nnc_m"))
        for exe in (base_s, base_m):
            if not os.access(exe, os.X_OK):
                sys.exit("run.py: %s is missing: build the baseline first "
                         "(make bench-compare BASE=<commit>)" % exe)
    base_name = env("BENCH_BASELINE_COMMIT", baseline)
    straight, why = compile_c(work, "straight_s", [])
    if why:
        skipped["straight_c"] = why
    fann, why = compile_c(work, "fann_s", ["-lfloatfann"])
    if why:
        skipped["fann"] = "libfann-dev missing: " + why
    openblas, why = compile_c(work, "openblas_m", ["-lopenblas", "-lz"])
    if why:
        skipped["openblas"] = "libopenblas-dev missing: " + why
    with open(os.path.join(build, "include", "nnc_config.h")) as f:
        nnc_blas = "#define NNC_HAVE_OPENBLAS" in f.read()
    if not nnc_blas:
        skipped["nnc-openblas"] = "this nnc was built without its OpenBLAS backend"
    has_numpy = python_has(py, "numpy")
    has_torch = has_numpy and python_has(py, "torch")
    if not has_numpy:
        skipped["numpy"] = "%s has no numpy (python3-numpy)" % py
    if not has_torch:
        skipped["torch"] = "%s has no torch (python3-torch)" % py
    m_files = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    has_fashion = all(os.path.exists(os.path.join(fashion, f)) for f in m_files)
    if not has_fashion:
        for w in [w for w in workloads if w[0] in "MF"]:
            skipped["workload " + w] = "no Fashion-MNIST in %s (dataset-fashion-mnist)" % fashion
        workloads = [w for w in workloads if w[0] not in "MF"]

    def s_args(h):
        return ["--data", os.path.join(work, "s_data.csv"), "--hidden", str(h),
                "--init", os.path.join(work, "s_init_h%d.txt" % h)]

    m_args = ["--data", fashion, "--init", os.path.join(work, "m_init.f32"),
              "--epochs", m_epochs]
    plan = {}  # workload -> [(peer, cmd)]
    for w in workloads:
        if w.startswith("S"):
            h = int(w[1:])
            cands = [("nnc", [nnc_s] + s_args(h)),
                     ("baseline", [base_s] + s_args(h) if base_s else None),
                     ("straight_c", [straight] + s_args(h) if straight else None),
                     ("fann", [fann] + s_args(h) if fann else None),
                     ("numpy", [py, os.path.join(HERE, "numpy_s.py")] + s_args(h)
                      if has_numpy else None),
                     ("torch", [py, os.path.join(HERE, "torch_s.py")] + s_args(h)
                      if has_torch else None)]
        elif w == "F":
            f_args = ["--data", fashion, "--init", os.path.join(work, "f_init.f32"),
                      "--epochs", f_epochs]
            cands = [("nnc", [nnc_f] + f_args),
                     ("torch", [py, os.path.join(HERE, "torch_f.py")] + f_args
                      if has_torch else None)]
        elif w in M_OPTIMIZERS:
            cands = [("nnc", [nnc_m] + m_args + M_OPTIMIZERS[w]),
                     ("torch", [py, os.path.join(HERE, "torch_m.py")] + m_args + M_OPTIMIZERS[w]
                      if has_torch else None)]
        else:
            cands = [("nnc", [nnc_m] + m_args),
                     ("baseline", [base_m] + m_args if base_m else None),
                     # nnc on two threads (nnc_net_set_threads): the same
                     # bits as one; its ratio below 1 is the gain.
                     ("nnc-2t", [nnc_m] + m_args + ["--threads", "2"]),
                     ("baseline-2t", [base_m] + m_args + ["--threads", "2"]
                      if base_m else None),
                     ("openblas", [openblas] + m_args if openblas else None),
                     # nnc with its products on OpenBLAS (--kernels openblas,
                     # one OpenBLAS thread as for the openblas peer).
                     ("nnc-openblas", [nnc_m] + m_args + ["--kernels", "openblas"]
                      if nnc_blas else None),
                     ("numpy", [py, os.path.join(HERE, "numpy_m.py")] + m_args
                      if has_numpy else None),
                     ("torch", [py, os.path.join(HERE, "torch_m.py")] + m_args
                      if has_torch else None)]
        plan[w] = [(p, c) for p, c in cands if c and (not wanted or p in wanted or p == "nnc")]

    if wanted:  # a peer left out by BENCH_PEERS was not asked for: no need to say why
        skipped = {k: v for k, v in skipped.items() if k in wanted or k.startswith("workload")}
    run_env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    results = {}  # (workload, peer) -> list of (fields, rss)
    errors, busy_notes = [], []
    nnc_commit = commit()  # the tree nnc was just built from
    print("bench: %s; nnc at %s; %d rounds of %s" % (machine(), nnc_commit, rounds,
                                                  ",".join(workloads)), flush=True)
    if baseline:
        print("bench: baseline nnc at %s" % base_name, flush=True)
    for name, why in skipped.items():
        print("bench: skipping %s: %s" % (name, why), flush=True)
    for r in range(rounds):
        for w in workloads:
            peers = plan[w]
            k = r % len(peers)
            for peer, cmd in peers[k:] + peers[:k]:  # rotate the order each round
                waited, busy = wait_idle(threshold, idle_timeout)
                if busy is not None:
                    busy_notes.append("round %d %s %s: %.1f CPUs still busy after %.0f s"
                                      % (r + 1, w, peer, busy, waited))
                fields, rss, err = run_one(cmd, work, run_env)
                if err:
                    errors.append("round %d %s %s: %s" % (r + 1, w, peer, err))
                    print("bench: round %d %s %-10s FAILED %s" % (r + 1, w, peer, err),
                          flush=True)
                    continue
                results.setdefault((w, peer), []).append((fields, rss))
                print("bench: round %d %-2s %-10s %9.4f s  loss %s  accuracy %s" %
                      (r + 1, w, peer, float(fields["seconds"]), fields["loss"],
                       fields["accuracy"]), flush=True)

    lines = ["Machine: %s.  nnc: %s.  %s UTC.  Median of %d rounds; time = the training "
             "loop only; ratio = peer time / nnc time (above 1: nnc is faster)."
             % (machine(), nnc_commit,
                datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
                rounds), ""]
    lines.append("| workload | peer | seconds | ratio to nnc | loss | accuracy | GFLOP/s "
                 "| peak RSS MB | runs |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for w in workloads:
        base = None
        for peer, _ in plan[w]:
            runs = results.get((w, peer))
            if not runs:
                lines.append("| %s | %s | failed | | | | | | 0 |" % (w, peer))
                continue
            med = lambda key: statistics.median(float(f[key]) for f, _ in runs)
            sec = med("seconds")
            if peer == "nnc":
                base = sec
            ratio = "%.2f" % (sec / base) if base else "-"
            lines.append("| %s | %s | %.4g | %s | %.4g | %.6g | %.3g | %.1f | %d |" % (
                w, peer, sec, ratio, med("loss"), med("accuracy"), med("gflops"),
                statistics.median(rss for _, rss in runs), len(runs)))
    if baseline:
        lines += [""] + baseline_table(workloads, plan, results, base_name)
    if "M" in workloads:
        lines += ["", "M: %s epoch(s) per run of 60,000 images; loss and accuracy on the "
                  "10,000 test images." % m_epochs]
    lines += optimizer_lines(workloads, results) + f_lines(workloads, results, f_epochs)
    lines += ["S: loss and accuracy (R²) on the 100 validation rows after 5000 epochs."]
    if skipped:
        lines += ["", "Skipped: " + "; ".join("%s (%s)" % kv for kv in skipped.items()) + "."]
    if busy_notes:
        lines += ["", "Started on a busy machine (%d runs): %s." %
                  (len(busy_notes), "; ".join(busy_notes[:10]) +
                   (" ..." if len(busy_notes) > 10 else ""))]
    if errors:
        lines += ["", "Failed runs: " + "; ".join(errors)]
    table = "\n".join(lines) + "\n"
    with open(os.path.join(work, "results.md"), "w") as f:
        f.write(table)
    print()
    print(table, end="")
    print("bench: the table is also in %s" % os.path.join(work, "results.md"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
