"""Workload M in PyTorch on the CPU, one thread: nn.Linear, nn.ReLU,
nn.CrossEntropyLoss (log-softmax + NLL, averaged: the softmax + cross-entropy
of the other peers), optim.SGD (no momentum), float32; the same initial
weights, batches of 64 from a torch.randperm every epoch.  Times the
training loop only; the test evaluation follows, untimed."""
import torch

import pycommon as pc


def main():
    a = pc.args_m()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    x, labels = pc.read_fashion(a.data, "train")
    xt, labels_t = pc.read_fashion(a.data, "t10k")
    X, L = torch.from_numpy(x), torch.from_numpy(labels)
    Xt, Lt = torch.from_numpy(xt), torch.from_numpy(labels_t)
    w = pc.read_m_init(a.init)
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 64), torch.nn.ReLU(),
                              torch.nn.Linear(64, 10))
    with torch.no_grad():
        for layer, wi in zip((net[0], net[2], net[4]), w):
            layer.weight.copy_(torch.from_numpy(wi.T.copy()))
            layer.bias.zero_()
    opt = torch.optim.SGD(net.parameters(), lr=a.eta)
    lossf = torch.nn.CrossEntropyLoss()
    n = X.shape[0]
    t0 = pc.now()
    for epoch in range(a.epochs):
        perm = torch.randperm(n)
        for start in range(0, n, a.batch):
            idx = perm[start:start + a.batch]
            opt.zero_grad()
            loss = lossf(net(X[idx]), L[idx])
            loss.backward()
            opt.step()
    seconds = pc.now() - t0
    with torch.no_grad():
        out = net(Xt)
        loss = lossf(out, Lt).item()
        acc = (out.argmax(dim=1) == Lt).float().mean().item()
    gflop = pc.flop_per_sample(pc.M_WIDTHS) * n * a.epochs * 1e-9
    pc.result("torch", "M", seconds, a.epochs, loss, acc, gflop)


if __name__ == "__main__":
    main()
