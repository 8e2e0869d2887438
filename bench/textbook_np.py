"""The textbook's (ai-edu) data reader and weight holder, shared by the
NumPy peers numpy_s.py and numpy_m.py, written as the book writes them."""
import numpy as np


class WeightsBias:
    def __init__(self, w):
        self.W = w
        self.B = np.zeros((1, w.shape[1]), dtype=w.dtype)

    def Update(self, eta):
        self.W = self.W - eta * self.dW
        self.B = self.B - eta * self.dB


class DataReader:
    """validation: keep the first int(n/10) rows apart (XDev, YDev), as the
    book's GenerateValidationSet does; the rest trains."""

    def __init__(self, x, y, validation=False):
        self.num_validation = x.shape[0] // 10 if validation else 0
        self.XDev, self.YDev = x[:self.num_validation], y[:self.num_validation]
        self.XTrain, self.YTrain = x[self.num_validation:], y[self.num_validation:]
        self.num_train = self.XTrain.shape[0]

    def Shuffle(self):
        seed = np.random.randint(0, 100)
        np.random.seed(seed)
        XP = np.random.permutation(self.XTrain)
        np.random.seed(seed)
        YP = np.random.permutation(self.YTrain)
        self.XTrain, self.YTrain = XP, YP

    def GetBatchTrainSamples(self, batch_size, iteration):
        start = iteration * batch_size
        end = start + batch_size
        return self.XTrain[start:end, :], self.YTrain[start:end, :]
