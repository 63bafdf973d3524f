"""Answers to lesson 01's exercises, written from the lesson text alone: one correct answer per exercise and the slips learners make."""

ANSWERS = [
    dict(exercise="neuron", kind="correct", slip="", code='''
def neuron(x, w, b):
    """One neuron with a sigmoid activation: sigmoid(w · x + b)."""
    z = np.dot(w, x) + b
    a = 1 / (1 + np.exp(-z))
    return a
'''),
    dict(exercise="neuron", kind="correct-loops", slip="", code='''
def neuron(x, w, b):
    """One neuron with a sigmoid activation: sigmoid(w · x + b)."""
    z = b
    for d in range(len(x)):
        z = z + w[d] * x[d]
    a = 1 / (1 + np.exp(-z))
    return a
'''),
    dict(exercise="neuron", kind="wrong", slip="Forgets to add the bias before the sigmoid.", code='''
def neuron(x, w, b):
    z = np.dot(w, x)
    a = 1 / (1 + np.exp(-z))
    return a
'''),
    dict(exercise="neuron", kind="wrong", slip="Drops the minus sign in the exponential, computing sigmoid(-z).", code='''
def neuron(x, w, b):
    z = np.dot(w, x) + b
    a = 1 / (1 + np.exp(z))
    return a
'''),
    dict(exercise="neuron", kind="wrong", slip="Multiplies w and x elementwise without summing, so returns an array instead of a number.", code='''
def neuron(x, w, b):
    z = w * x + b
    a = 1 / (1 + np.exp(-z))
    return a
'''),
    dict(exercise="neuron", kind="wrong", slip="Returns the pre-activation z and never applies the sigmoid.", code='''
def neuron(x, w, b):
    z = np.dot(w, x) + b
    a = z
    return a
'''),

    dict(exercise="linear_forward", kind="correct", slip="", code='''
def linear_forward(X, W, b):
    """A linear (fully connected) layer: out = X @ W + b."""
    out = X @ W + b
    return out
'''),
    dict(exercise="linear_forward", kind="correct-loops", slip="", code='''
def linear_forward(X, W, b):
    """A linear layer written with explicit loops over examples and units."""
    N, D = X.shape
    H = W.shape[1]
    out = np.zeros((N, H))
    for n in range(N):
        for j in range(H):
            total = b[j]
            for d in range(D):
                total += X[n, d] * W[d, j]
            out[n, j] = total
    return out
'''),
    dict(exercise="linear_forward", kind="wrong", slip="Uses W transposed, X @ W.T, which only runs when W is square and then gives wrong numbers.", code='''
def linear_forward(X, W, b):
    out = X @ W.T + b
    return out
'''),
    dict(exercise="linear_forward", kind="wrong", slip="Forgets to add the bias.", code='''
def linear_forward(X, W, b):
    out = X @ W
    return out
'''),
    dict(exercise="linear_forward", kind="wrong", slip="Puts the weights on the left, W @ X, as in the column-vector convention.", code='''
def linear_forward(X, W, b):
    out = W @ X + b
    return out
'''),
    dict(exercise="linear_forward", kind="wrong", slip="Reshapes the bias into a column, so it is added per example instead of per unit.", code='''
def linear_forward(X, W, b):
    out = X @ W + b.reshape(-1, 1)
    return out
'''),

    dict(exercise="sigmoid", kind="correct", slip="", code='''
def sigmoid(x):
    """The logistic sigmoid 1 / (1 + exp(-x)), elementwise."""
    out = 1 / (1 + np.exp(-x))
    return out
'''),
    dict(exercise="sigmoid", kind="wrong", slip="Writes exp(x) / (1 + exp(x)), which gives inf / inf = nan for large inputs such as 800.", code='''
def sigmoid(x):
    out = np.exp(x) / (1 + np.exp(x))
    return out
'''),
    dict(exercise="sigmoid", kind="wrong", slip="Drops the minus sign in the exponent.", code='''
def sigmoid(x):
    out = 1 / (1 + np.exp(x))
    return out
'''),
    dict(exercise="sigmoid", kind="wrong", slip="Negates x in place before exponentiating, changing the caller's array.", code='''
def sigmoid(x):
    x *= -1
    out = 1 / (1 + np.exp(x))
    return out
'''),
    dict(exercise="sigmoid", kind="wrong", slip="Misses the parentheses around the denominator, computing 1/1 + exp(-x).", code='''
def sigmoid(x):
    out = 1 / 1 + np.exp(-x)
    return out
'''),

    dict(exercise="relu", kind="correct", slip="", code='''
def relu(x):
    """The rectified linear unit max(x, 0), elementwise."""
    out = np.maximum(x, 0)
    return out
'''),
    dict(exercise="relu", kind="correct-loops", slip="", code='''
def relu(x):
    """ReLU with an explicit loop over every entry."""
    out = np.array(x, dtype=float).copy()
    for idx in np.ndindex(out.shape):
        if out[idx] < 0:
            out[idx] = 0.0
    return out
'''),
    dict(exercise="relu", kind="wrong", slip="Uses np.max instead of np.maximum, which reduces along axis 0 instead of comparing with 0.", code='''
def relu(x):
    out = np.max(x, 0)
    return out
'''),
    dict(exercise="relu", kind="wrong", slip="Sets the negative entries to 0 in place, changing the caller's array.", code='''
def relu(x):
    x[x < 0] = 0
    out = x
    return out
'''),
    dict(exercise="relu", kind="wrong", slip="Uses np.minimum instead of np.maximum, keeping the negative part.", code='''
def relu(x):
    out = np.minimum(x, 0)
    return out
'''),

    dict(exercise="tanh", kind="correct", slip="", code='''
def tanh(x):
    """tanh built from the sigmoid: 2 sigmoid(2x) - 1."""
    out = 2 * sigmoid(2 * x) - 1
    return out
'''),
    dict(exercise="tanh", kind="wrong", slip="Forgets to double the argument: 2 sigmoid(x) - 1.", code='''
def tanh(x):
    out = 2 * sigmoid(x) - 1
    return out
'''),
    dict(exercise="tanh", kind="wrong", slip="Uses the four-exponential formula, which gives nan for inputs like 800.", code='''
def tanh(x):
    out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
    return out
'''),
    dict(exercise="tanh", kind="wrong", slip="Forgets the - 1 of the identity, so the output lies in (0, 2).", code='''
def tanh(x):
    out = 2 * sigmoid(2 * x)
    return out
'''),

    dict(exercise="two_layer_forward", kind="correct", slip="", code='''
def two_layer_forward(X, params):
    """Scores of a two-layer network: relu(X @ W1 + b1) @ W2 + b2."""
    h = relu(linear_forward(X, params["W1"], params["b1"]))
    scores = linear_forward(h, params["W2"], params["b2"])
    return scores
'''),
    dict(exercise="two_layer_forward", kind="wrong", slip="Applies a ReLU to the output scores too.", code='''
def two_layer_forward(X, params):
    h = relu(linear_forward(X, params["W1"], params["b1"]))
    scores = relu(linear_forward(h, params["W2"], params["b2"]))
    return scores
'''),
    dict(exercise="two_layer_forward", kind="wrong", slip="Forgets the ReLU between the two layers.", code='''
def two_layer_forward(X, params):
    h = linear_forward(X, params["W1"], params["b1"])
    scores = linear_forward(h, params["W2"], params["b2"])
    return scores
'''),
    dict(exercise="two_layer_forward", kind="wrong", slip="Adds the first bias after the ReLU instead of before it.", code='''
def two_layer_forward(X, params):
    h = relu(X @ params["W1"]) + params["b1"]
    scores = h @ params["W2"] + params["b2"]
    return scores
'''),
]
