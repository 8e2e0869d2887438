"""Workload F in PyTorch on the CPU, one thread: 784-256-128-10, nn.Linear,
nn.ReLU, nn.Dropout(0.2) after each hidden layer, nn.CrossEntropyLoss,
optim.Adam (lr 0.001, betas 0.9 and 0.999, eps 1e-8), batch 128, float32;
the same initial weights as nnc, batches from a torch.randperm every epoch.
PyTorch's dropout is inverted (training scales the kept values by
1/(1 − rate), inference leaves them), nnc's the textbook's (training keeps
them as they are, inference multiplies by 1 − rate): the same in
expectation.  Times the training loop only; the test evaluation follows in
eval mode, untimed."""
import torch

import pycommon as pc


def main():
    a = pc.args_m(epochs=20, eta=0.001, batch=128, optimizer="adam")
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)  # torch.randperm's shuffles
    nn = torch.nn
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                        nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2),
                        nn.Linear(128, 10))
    seconds, loss, acc = pc.torch_classify(torch, a, net, (net[0], net[3], net[6]), pc.F_WIDTHS)
    gflop = pc.flop_per_sample(pc.F_WIDTHS) * 60000 * a.epochs * 1e-9
    pc.result("torch", "F", seconds, a.epochs, loss, acc, gflop)


if __name__ == "__main__":
    main()
