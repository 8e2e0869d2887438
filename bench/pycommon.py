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
F_WIDTHS = (784, 256, 128, 10)


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


def args_m(epochs=1, eta=0.1, batch=64, optimizer="sgd"):
    """M's options, or F's with F's defaults (torch_f.py)."""
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=FASHION)
    p.add_argument("--init", required=True)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--eta", type=float, default=eta)
    p.add_argument("--batch", type=int, default=batch)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--optimizer", default=optimizer, choices=("sgd", "momentum", "adam"))
    return p.parse_args()


def torch_optimizer(torch, net, a):
    """SGD, momentum (torch's v = α·v + g; θ −= lr·v is nnc's v = α·v − lr·g;
    θ += v scaled by −lr, the same steps at a constant lr) or Adam (the
    book's defaults, which are torch's)."""
    if a.optimizer == "momentum":
        return torch.optim.SGD(net.parameters(), lr=a.eta, momentum=0.9)
    if a.optimizer == "adam":
        return torch.optim.Adam(net.parameters(), lr=a.eta, betas=(0.9, 0.999), eps=1e-8)
    return torch.optim.SGD(net.parameters(), lr=a.eta)


def torch_classify(torch, a, net, linears, widths):
    """linears (net's nn.Linear layers, made after torch.manual_seed) get the weights of
    a.init (biases 0); trains net on Fashion-MNIST's training images in
    batches of a.batch from a torch.randperm every epoch (training mode, so
    dropout drops), then evaluates it on the test images in eval mode; the
    training loop alone is timed.  Returns seconds, the test loss and the
    test accuracy."""
    x, labels = read_fashion(a.data, "train")
    xt, labels_t = read_fashion(a.data, "t10k")
    X, L = torch.from_numpy(x), torch.from_numpy(labels)
    Xt, Lt = torch.from_numpy(xt), torch.from_numpy(labels_t)
    with torch.no_grad():
        for layer, wi in zip(linears, read_m_init(a.init, widths)):
            layer.weight.copy_(torch.from_numpy(wi.T.copy()))
            layer.bias.zero_()
    opt = torch_optimizer(torch, net, a)
    lossf = torch.nn.CrossEntropyLoss()
    n = X.shape[0]
    net.train()
    t0 = now()
    for epoch in range(a.epochs):
        perm = torch.randperm(n)
        for start in range(0, n, a.batch):
            idx = perm[start:start + a.batch]
            opt.zero_grad()
            loss = lossf(net(X[idx]), L[idx])
            loss.backward()
            opt.step()
    seconds = now() - t0
    net.eval()
    with torch.no_grad():
        out = net(Xt)
        loss = lossf(out, Lt).item()
        acc = (out.argmax(dim=1) == Lt).float().mean().item()
    return seconds, loss, acc


def m_workload(a):
    """M, or M-momentum / M-adam with another optimizer."""
    return "M" if a.optimizer == "sgd" else "M-" + a.optimizer


def read_s(path):
    """The S data: (n, 1) x and y, float64, in file order."""
    d = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return d[:, 0:1].copy(), d[:, 1:2].copy()


def read_s_init(path, hidden):
    """W1 (1, H) and W2 (H, 1), float64."""
    w = np.array(open(path).read().split(), dtype=np.float64)[: 2 * hidden]
    return w[:hidden].reshape(1, hidden), w[hidden:].reshape(hidden, 1)


def read_m_init(path, widths=M_WIDTHS):
    """W1 (784, 128), W2 (128, 64), W3 (64, 10) (or F's widths), float32,
    (n_in, n_out)."""
    raw = np.fromfile(path, dtype="<f4")
    out, at = [], 0
    for a, b in zip(widths[:-1], widths[1:]):
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
