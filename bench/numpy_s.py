"""Workload S in NumPy, written the way the textbook's code is (ai-edu,
chapter 9: NeuralNet with WeightsBias, forward/backward with np.dot,
DataReader with Shuffle and GetBatchTrainSamples, a check every 50 epochs),
float64 as the book.  Times the training loop (checks included)."""
import numpy as np

import pycommon as pc
from textbook_np import DataReader, WeightsBias


class Sigmoid:
    def forward(self, z):
        return 1.0 / (1.0 + np.exp(-z))

    def backward(self, z, a, delta):
        da = np.multiply(a, 1 - a)
        return np.multiply(delta, da), da


class NeuralNet:
    def __init__(self, w1, w2, eta, batch_size, max_epoch):
        self.wb1, self.wb2 = WeightsBias(w1), WeightsBias(w2)
        self.eta, self.batch_size, self.max_epoch = eta, batch_size, max_epoch

    def forward(self, batch_x):
        self.Z1 = np.dot(batch_x, self.wb1.W) + self.wb1.B
        self.A1 = Sigmoid().forward(self.Z1)
        self.Z2 = np.dot(self.A1, self.wb2.W) + self.wb2.B
        self.A2 = self.Z2  # fitting: identity output
        self.output = self.A2
        return self.output

    def backward(self, batch_x, batch_y, batch_a):
        m = batch_x.shape[0]
        dZ2 = self.A2 - batch_y
        self.wb2.dW = np.dot(self.A1.T, dZ2) / m
        self.wb2.dB = np.sum(dZ2, axis=0, keepdims=True) / m
        d1 = np.dot(dZ2, self.wb2.W.T)
        dZ1, _ = Sigmoid().backward(None, self.A1, d1)
        self.wb1.dW = np.dot(batch_x.T, dZ1) / m
        self.wb1.dB = np.sum(dZ1, axis=0, keepdims=True) / m

    def update(self):
        self.wb1.Update(self.eta)
        self.wb2.Update(self.eta)

    def loss_accuracy(self, x, y):
        a = self.forward(x)
        p1 = a - y
        loss = np.multiply(p1, p1).sum() / y.shape[0] / 2
        mse = np.sum((a - y) ** 2) / y.shape[0]
        return loss, 1 - mse / np.var(y)

    def train(self, reader, checkpoint):
        max_iteration = int(np.ceil(reader.num_train / self.batch_size))
        checkpoint_iteration = int(max_iteration * checkpoint)
        self.history = []
        for epoch in range(self.max_epoch):
            reader.Shuffle()
            for iteration in range(max_iteration):
                batch_x, batch_y = reader.GetBatchTrainSamples(self.batch_size, iteration)
                batch_a = self.forward(batch_x)
                self.backward(batch_x, batch_y, batch_a)
                self.update()
                total_iteration = epoch * max_iteration + iteration
                if (total_iteration + 1) % checkpoint_iteration == 0:
                    loss_train = self.loss_accuracy(batch_x, batch_y)
                    loss_valid = self.loss_accuracy(reader.XDev, reader.YDev)
                    self.history.append((epoch, loss_train, loss_valid))


def main():
    a = pc.args_s()
    np.random.seed(a.seed)
    x, y = pc.read_s(a.data)
    w1, w2 = pc.read_s_init(a.init, a.hidden)
    reader = DataReader(x, y, validation=True)
    net = NeuralNet(w1, w2, a.eta, a.batch, a.epochs)
    t0 = pc.now()
    net.train(reader, 50)
    seconds = pc.now() - t0
    loss, acc = net.loss_accuracy(reader.XDev, reader.YDev)
    gflop = pc.flop_per_sample((1, a.hidden, 1)) * reader.num_train * a.epochs * 1e-9
    pc.result("numpy", "S%d" % a.hidden, seconds, a.epochs, loss, acc, gflop)


if __name__ == "__main__":
    main()
