"""A NumPy multi-layer perceptron classifier."""

from mlp import activations
from mlp.losses import cross_entropy, log_softmax, softmax
from mlp.network import DivergedError, MLPClassifier, NotFittedError

__all__ = [
    "DivergedError",
    "MLPClassifier",
    "NotFittedError",
    "activations",
    "cross_entropy",
    "log_softmax",
    "softmax",
]
