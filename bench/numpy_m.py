"""Workload M in NumPy float32, written the way the textbook's code is
(ai-edu, chapters 11-14: NeuralNet with WeightsBias, forward/backward with
np.dot, ReLU, softmax with the max shift, cross-entropy, DataReader Shuffle
with np.random.permutation and batches by slicing).  Times the training loop
only; the test evaluation follows, untimed."""
import numpy as np

import pycommon as pc
from textbook_np import DataReader, WeightsBias


class Relu:
    def forward(self, z):
        return np.maximum(z, 0)

    def backward(self, z, a, delta):
        da = np.where(z > 0, np.float32(1), np.float32(0))
        return np.multiply(delta, da)


class Softmax:
    def forward(self, z):
        shift_z = z - np.max(z, axis=1, keepdims=True)
        exp_z = np.exp(shift_z)
        return exp_z / np.sum(exp_z, axis=1, keepdims=True)


class NeuralNet:
    def __init__(self, weights, eta, batch_size, max_epoch):
        self.wb1, self.wb2, self.wb3 = (WeightsBias(w) for w in weights)
        self.eta = np.float32(eta)
        self.batch_size, self.max_epoch = batch_size, max_epoch

    def forward(self, batch_x):
        self.Z1 = np.dot(batch_x, self.wb1.W) + self.wb1.B
        self.A1 = Relu().forward(self.Z1)
        self.Z2 = np.dot(self.A1, self.wb2.W) + self.wb2.B
        self.A2 = Relu().forward(self.Z2)
        self.Z3 = np.dot(self.A2, self.wb3.W) + self.wb3.B
        self.A3 = Softmax().forward(self.Z3)
        self.output = self.A3
        return self.output

    def backward(self, batch_x, batch_y, batch_a):
        m = np.float32(batch_x.shape[0])
        dZ3 = self.A3 - batch_y
        self.wb3.dW = np.dot(self.A2.T, dZ3) / m
        self.wb3.dB = np.sum(dZ3, axis=0, keepdims=True) / m
        d2 = np.dot(dZ3, self.wb3.W.T)
        dZ2 = Relu().backward(self.Z2, self.A2, d2)
        self.wb2.dW = np.dot(self.A1.T, dZ2) / m
        self.wb2.dB = np.sum(dZ2, axis=0, keepdims=True) / m
        d1 = np.dot(dZ2, self.wb2.W.T)
        dZ1 = Relu().backward(self.Z1, self.A1, d1)
        self.wb1.dW = np.dot(batch_x.T, dZ1) / m
        self.wb1.dB = np.sum(dZ1, axis=0, keepdims=True) / m

    def update(self):
        self.wb1.Update(self.eta)
        self.wb2.Update(self.eta)
        self.wb3.Update(self.eta)

    def train(self, reader):
        max_iteration = int(np.ceil(reader.num_train / self.batch_size))
        for epoch in range(self.max_epoch):
            reader.Shuffle()
            for iteration in range(max_iteration):
                batch_x, batch_y = reader.GetBatchTrainSamples(self.batch_size, iteration)
                batch_a = self.forward(batch_x)
                self.backward(batch_x, batch_y, batch_a)
                self.update()

    def loss_accuracy(self, x, y):
        a = self.forward(x)
        loss = np.sum(-np.multiply(y, np.log(a))) / y.shape[0]
        acc = np.mean(np.argmax(a, axis=1) == np.argmax(y, axis=1))
        return float(loss), float(acc)


def one_hot(labels):
    y = np.zeros((labels.shape[0], 10), dtype=np.float32)
    y[np.arange(labels.shape[0]), labels] = 1
    return y


def main():
    a = pc.args_m()
    np.random.seed(a.seed)
    x, labels = pc.read_fashion(a.data, "train")
    xt, labels_t = pc.read_fashion(a.data, "t10k")
    net = NeuralNet(pc.read_m_init(a.init), a.eta, a.batch, a.epochs)
    reader = DataReader(x, one_hot(labels))
    t0 = pc.now()
    net.train(reader)
    seconds = pc.now() - t0
    loss, acc = net.loss_accuracy(xt, one_hot(labels_t))
    gflop = pc.flop_per_sample(pc.M_WIDTHS) * reader.num_train * a.epochs * 1e-9
    pc.result("numpy", "M", seconds, a.epochs, loss, acc, gflop)


if __name__ == "__main__":
    main()
