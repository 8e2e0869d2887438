"""Workload M in PyTorch on the CPU, one thread: nn.Linear, nn.ReLU,
nn.CrossEntropyLoss (log-softmax + NLL, averaged: the softmax + cross-entropy
of the other peers), optim.SGD (no momentum) or, with --optimizer, pc.optimizer's
momentum or Adam (the M-momentum and M-adam rows), float32; the same initial
weights, batches of 64 from a torch.randperm every epoch.  Times the
training loop only; the test evaluation follows, untimed."""
import torch

import pycommon as pc


def main():
    a = pc.args_m()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)  # torch.randperm's shuffles
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 64), torch.nn.ReLU(),
                              torch.nn.Linear(64, 10))
    seconds, loss, acc = pc.torch_classify(torch, a, net, (net[0], net[2], net[4]), pc.M_WIDTHS)
    gflop = pc.flop_per_sample(pc.M_WIDTHS) * 60000 * a.epochs * 1e-9
    pc.result("torch", pc.m_workload(a), seconds, a.epochs, loss, acc, gflop)


if __name__ == "__main__":
    main()
