"""Shared by the Python peers of the benchmark (bench/README.md): argument
parsing, the workloads' files and the RESULT line.  Needs NumPy."""
import argparse
import gzip
import os
import resource
import struct
import time

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"
M_WIDTHS = (784, 128, 64, 10)


def args_s():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--init", required=True)
    p.add_argument("--hidden", type=int, default=3)
    p.add_argument("--epochs", type=int, default=5000)
    p.add_argument("--eta", type=float, default=0.5)
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def args_m():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=FASHION)
    p.add_argument("--init", required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--eta", type=float, default=0.1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def read_s(path):
    """The S data: (n, 1) x and y, float64, in file order."""
    d = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return d[:, 0:1].copy(), d[:, 1:2].copy()


def read_s_init(path, hidden):
    """W1 (1, H) and W2 (H, 1), float64."""
    w = np.array(open(path).read().split(), dtype=np.float64)[: 2 * hidden]
    return w[:hidden].reshape(1, hidden), w[hidden:].reshape(hidden, 1)


def read_m_init(path):
    """W1 (784, 128), W2 (128, 64), W3 (64, 10), float32, (n_in, n_out)."""
    raw = np.fromfile(path, dtype="<f4")
    out, at = [], 0
    for a, b in zip(M_WIDTHS[:-1], M_WIDTHS[1:]):
        out.append(raw[at:at + a * b].reshape(a, b).astype(np.float32))
        at += a * b
    return out


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def read_fashion(folder, part):
    """Images (n, 784) float32 in [0, 1] and labels (n,) int64; part: train or t10k."""
    x = read_idx(os.path.join(folder, part + "-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(folder, part + "-labels-idx1-ubyte.gz"))
    return (x.reshape(x.shape[0], -1).astype(np.float32) / np.float32(255.0),
            y.astype(np.int64))


def flop_per_sample(widths):
    p = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    return 2 * p + 2 * p + 2 * (p - widths[0] * widths[1])


def now():
    return time.perf_counter()


def result(name, workload, seconds, epochs, loss, accuracy, gflop):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("RESULT name=%s workload=%s seconds=%.6f epochs=%d loss=%.6g accuracy=%.6g "
          "gflops=%.4g peak_rss_mb=%.1f" % (name, workload, seconds, epochs, loss,
                                            accuracy, gflop / seconds, rss), flush=True)
