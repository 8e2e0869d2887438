"""Workload S in PyTorch on the CPU, one thread: nn.Linear, nn.Sigmoid,
MSE/2 (0.5 · F.mse_loss), optim.SGD (no momentum), float32; the same data,
split, initial weights, batches of 10 from a torch.randperm every epoch, a
validation check every 50 epochs under torch.no_grad.  Times the training
loop (checks included)."""
import torch
import torch.nn.functional as F

import pycommon as pc


def main():
    a = pc.args_s()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    x, y = pc.read_s(a.data)
    w1, w2 = pc.read_s_init(a.init, a.hidden)
    X = torch.tensor(x, dtype=torch.float32)
    Y = torch.tensor(y, dtype=torch.float32)
    nv = X.shape[0] // 10
    Xv, Yv, Xt, Yt = X[:nv], Y[:nv], X[nv:], Y[nv:]
    nt = Xt.shape[0]
    net = torch.nn.Sequential(torch.nn.Linear(1, a.hidden), torch.nn.Sigmoid(),
                              torch.nn.Linear(a.hidden, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor(w1.T))
        net[2].weight.copy_(torch.tensor(w2.T))
        net[0].bias.zero_()
        net[2].bias.zero_()
    opt = torch.optim.SGD(net.parameters(), lr=a.eta)

    def validate():
        with torch.no_grad():
            out = net(Xv)
            mse = F.mse_loss(out, Yv).item()
            return mse / 2, 1 - mse / torch.var(Yv, unbiased=False).item()

    loss = acc = float("nan")
    t0 = pc.now()
    for epoch in range(a.epochs):
        perm = torch.randperm(nt)
        for start in range(0, nt, a.batch):
            idx = perm[start:start + a.batch]
            opt.zero_grad()
            out = net(Xt[idx])
            batch_loss = 0.5 * F.mse_loss(out, Yt[idx])
            batch_loss.backward()
            opt.step()
        if (epoch + 1) % 50 == 0:
            loss, acc = validate()
    seconds = pc.now() - t0
    loss, acc = validate()
    gflop = pc.flop_per_sample((1, a.hidden, 1)) * nt * a.epochs * 1e-9
    pc.result("torch", "S%d" % a.hidden, seconds, a.epochs, loss, acc, gflop)


if __name__ == "__main__":
    main()
