"""Answers to lesson 02's exercises, written from the lesson text alone: one correct answer per exercise and the slips learners make."""

ANSWERS = [
    dict(exercise="mean_squared_error", kind="correct", slip="", code='''
def mean_squared_error(y_hat, y):
    """L = (1/N) * sum over n and c of (y_hat[n, c] - y[n, c])**2."""
    N = y_hat.shape[0]
    loss = np.sum((y_hat - y) ** 2) / N
    return loss
'''),
    dict(exercise="mean_squared_error", kind="correct-loops", slip="", code='''
def mean_squared_error(y_hat, y):
    """The mean squared error with explicit loops over examples and outputs."""
    N, C = y_hat.shape
    total = 0.0
    for n in range(N):
        for c in range(C):
            total += (y_hat[n, c] - y[n, c]) ** 2
    loss = total / N
    return loss
'''),
    dict(exercise="mean_squared_error", kind="wrong", slip="Uses np.mean over every entry, dividing by N * C instead of N.", code='''
def mean_squared_error(y_hat, y):
    loss = np.mean((y_hat - y) ** 2)
    return loss
'''),
    dict(exercise="mean_squared_error", kind="wrong", slip="Returns the sum of squared errors without dividing by N.", code='''
def mean_squared_error(y_hat, y):
    loss = np.sum((y_hat - y) ** 2)
    return loss
'''),
    dict(exercise="mean_squared_error", kind="wrong", slip="Squares the summed error instead of summing the squared errors.", code='''
def mean_squared_error(y_hat, y):
    N = y_hat.shape[0]
    loss = np.sum(y_hat - y) ** 2 / N
    return loss
'''),
    dict(exercise="mean_squared_error", kind="wrong", slip="Divides by the number of outputs C (shape[1]) instead of the number of examples N.", code='''
def mean_squared_error(y_hat, y):
    loss = np.sum((y_hat - y) ** 2) / y_hat.shape[1]
    return loss
'''),

    dict(exercise="softmax", kind="correct", slip="", code='''
def softmax(scores):
    """Row-wise softmax, stable for any scores."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    probs = e / e.sum(axis=1, keepdims=True)
    return probs
'''),
    dict(exercise="softmax", kind="correct-loops", slip="", code='''
def softmax(scores):
    """Row-wise softmax, one row at a time."""
    probs = np.zeros(scores.shape)
    for n in range(scores.shape[0]):
        row = scores[n] - np.max(scores[n])
        e = np.exp(row)
        probs[n] = e / np.sum(e)
    return probs
'''),
    dict(exercise="softmax", kind="wrong", slip="Does not subtract the maximum, so large scores overflow to nan.", code='''
def softmax(scores):
    e = np.exp(scores)
    probs = e / e.sum(axis=1, keepdims=True)
    return probs
'''),
    dict(exercise="softmax", kind="wrong", slip="Subtracts one maximum for the whole batch instead of each row's own maximum.", code='''
def softmax(scores):
    e = np.exp(scores - np.max(scores))
    probs = e / e.sum(axis=1, keepdims=True)
    return probs
'''),
    dict(exercise="softmax", kind="wrong", slip="Sums the exponentials without keepdims, so the (N,) sums broadcast along the wrong axis.", code='''
def softmax(scores):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1)
    return probs
'''),
    dict(exercise="softmax", kind="wrong", slip="Normalises over axis 0, so the columns sum to 1 instead of the rows.", code='''
def softmax(scores):
    e = np.exp(scores - scores.max(axis=0, keepdims=True))
    probs = e / e.sum(axis=0, keepdims=True)
    return probs
'''),

    dict(exercise="cross_entropy", kind="correct", slip="", code='''
def cross_entropy(scores, y):
    """Softmax cross-entropy from raw scores and integer labels, with log-sum-exp."""
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(N), y])
    return loss
'''),
    dict(exercise="cross_entropy", kind="correct-loops", slip="", code='''
def cross_entropy(scores, y):
    """Softmax cross-entropy, one example at a time."""
    N = scores.shape[0]
    total = 0.0
    for n in range(N):
        m = np.max(scores[n])
        lse = m + np.log(np.sum(np.exp(scores[n] - m)))
        total += -(scores[n, y[n]] - lse)
    loss = total / N
    return loss
'''),
    dict(exercise="cross_entropy", kind="wrong", slip="Takes the log of softmax probabilities, which underflow to 0 and give an infinite loss for far-off scores.", code='''
def cross_entropy(scores, y):
    N = scores.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(N), y]))
    return loss
'''),
    dict(exercise="cross_entropy", kind="wrong", slip="Forgets the minus sign, so the loss is negative.", code='''
def cross_entropy(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = np.mean(log_probs[np.arange(N), y])
    return loss
'''),
    dict(exercise="cross_entropy", kind="wrong", slip="Sums over the batch instead of taking the mean.", code='''
def cross_entropy(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.sum(log_probs[np.arange(N), y])
    return loss
'''),
    dict(exercise="cross_entropy", kind="wrong", slip="Picks with log_probs[:, y], which takes an N x N block instead of one entry per row.", code='''
def cross_entropy(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.mean(log_probs[:, y])
    return loss
'''),
    dict(exercise="cross_entropy", kind="wrong", slip="Multiplies by the integer labels as if they were one-hot rows.", code='''
def cross_entropy(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.sum(y * log_probs) / N
    return loss
'''),

    dict(exercise="binary_cross_entropy", kind="correct", slip="", code='''
def binary_cross_entropy(p, y):
    """L = -(1/N) sum_n [y_n log p_n + (1 - y_n) log(1 - p_n)]."""
    N = p.shape[0]
    loss = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / N
    return loss
'''),
    dict(exercise="binary_cross_entropy", kind="wrong", slip="Keeps only the y log p term and forgets the (1 - y) log(1 - p) term.", code='''
def binary_cross_entropy(p, y):
    loss = -np.mean(y * np.log(p))
    return loss
'''),
    dict(exercise="binary_cross_entropy", kind="wrong", slip="Forgets the minus sign in front of the sum.", code='''
def binary_cross_entropy(p, y):
    loss = np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return loss
'''),
    dict(exercise="binary_cross_entropy", kind="wrong", slip="Swaps the two logarithms, pairing y with log(1 - p).", code='''
def binary_cross_entropy(p, y):
    loss = -np.mean(y * np.log(1 - p) + (1 - y) * np.log(p))
    return loss
'''),
    dict(exercise="binary_cross_entropy", kind="wrong", slip="Returns the sum over the batch instead of the mean.", code='''
def binary_cross_entropy(p, y):
    loss = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))
    return loss
'''),
]
