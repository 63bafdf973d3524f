"""Answers to lesson 04's exercises, written from the lesson text alone: one correct answer per exercise and the slips learners make."""

ANSWERS = [
    dict(exercise="linear_backward", kind="correct", slip="", code='''
def linear_backward(dout, X, W):
    """Backward pass of out = X @ W + b."""
    dX = dout @ W.T
    dW = X.T @ dout
    db = dout.sum(axis=0)
    return dX, dW, db
'''),
    dict(exercise="linear_backward", kind="correct-loops", slip="", code='''
def linear_backward(dout, X, W):
    """Backward pass of a linear layer, summing over the batch with explicit loops."""
    N, D = X.shape
    H = W.shape[1]
    dX = np.zeros((N, D))
    dW = np.zeros((D, H))
    db = np.zeros(H)
    for n in range(N):
        for h in range(H):
            db[h] += dout[n, h]
            for d in range(D):
                dW[d, h] += X[n, d] * dout[n, h]
                dX[n, d] += dout[n, h] * W[d, h]
    return dX, dW, db
'''),
    dict(exercise="linear_backward", kind="wrong", slip="Multiplies by W instead of W.T for dX, which runs only when W is square.", code='''
def linear_backward(dout, X, W):
    dX = dout @ W
    dW = X.T @ dout
    db = dout.sum(axis=0)
    return dX, dW, db
'''),
    dict(exercise="linear_backward", kind="wrong", slip="Computes dW as dout.T @ X, the transpose of the right gradient.", code='''
def linear_backward(dout, X, W):
    dX = dout @ W.T
    dW = dout.T @ X
    db = dout.sum(axis=0)
    return dX, dW, db
'''),
    dict(exercise="linear_backward", kind="wrong", slip="Sums dout over axis 1 for db, giving one number per example instead of per unit.", code='''
def linear_backward(dout, X, W):
    dX = dout @ W.T
    dW = X.T @ dout
    db = dout.sum(axis=1)
    return dX, dW, db
'''),
    dict(exercise="linear_backward", kind="wrong", slip="Averages over the batch for dW and db, dividing by N a second time.", code='''
def linear_backward(dout, X, W):
    N = X.shape[0]
    dX = dout @ W.T
    dW = X.T @ dout / N
    db = dout.mean(axis=0)
    return dX, dW, db
'''),

    dict(exercise="sigmoid_backward", kind="correct", slip="", code='''
def sigmoid_backward(dout, out):
    """Backward pass of out = sigmoid(x): dx = dout * out * (1 - out)."""
    dx = dout * out * (1 - out)
    return dx
'''),
    dict(exercise="sigmoid_backward", kind="wrong", slip="Returns the local gradient alone, forgetting to multiply by the upstream gradient dout.", code='''
def sigmoid_backward(dout, out):
    dx = out * (1 - out)
    return dx
'''),
    dict(exercise="sigmoid_backward", kind="wrong", slip="Treats out as the input and applies the sigmoid to it again.", code='''
def sigmoid_backward(dout, out):
    s = 1 / (1 + np.exp(-out))
    dx = dout * s * (1 - s)
    return dx
'''),
    dict(exercise="sigmoid_backward", kind="wrong", slip="Writes out * (out - 1), flipping the sign of the local gradient.", code='''
def sigmoid_backward(dout, out):
    dx = dout * out * (out - 1)
    return dx
'''),

    dict(exercise="tanh_backward", kind="correct", slip="", code='''
def tanh_backward(dout, out):
    """Backward pass of out = tanh(x): dx = dout * (1 - out**2)."""
    dx = dout * (1 - out ** 2)
    return dx
'''),
    dict(exercise="tanh_backward", kind="wrong", slip="Applies tanh to the output again, computing 1 - tanh(out)**2.", code='''
def tanh_backward(dout, out):
    dx = dout * (1 - np.tanh(out) ** 2)
    return dx
'''),
    dict(exercise="tanh_backward", kind="wrong", slip="Forgets to multiply by the upstream gradient dout.", code='''
def tanh_backward(dout, out):
    dx = 1 - out ** 2
    return dx
'''),
    dict(exercise="tanh_backward", kind="wrong", slip="Squares (1 - out) instead of out.", code='''
def tanh_backward(dout, out):
    dx = dout * (1 - out) ** 2
    return dx
'''),

    dict(exercise="relu_backward", kind="correct", slip="", code='''
def relu_backward(dout, x):
    """Backward pass of out = max(x, 0): the gradient passes where x > 0."""
    dx = dout * (x > 0)
    return dx
'''),
    dict(exercise="relu_backward", kind="correct-loops", slip="", code='''
def relu_backward(dout, x):
    """ReLU backward, one entry at a time."""
    dx = np.zeros_like(dout, dtype=float)
    for idx in np.ndindex(x.shape):
        if x[idx] > 0:
            dx[idx] = dout[idx]
    return dx
'''),
    dict(exercise="relu_backward", kind="wrong", slip="Uses x >= 0, passing the gradient at the kink where the course takes slope 0.", code='''
def relu_backward(dout, x):
    dx = dout * (x >= 0)
    return dx
'''),
    dict(exercise="relu_backward", kind="wrong", slip="Gates on the sign of dout instead of the sign of the input x.", code='''
def relu_backward(dout, x):
    dx = dout * (dout > 0)
    return dx
'''),
    dict(exercise="relu_backward", kind="wrong", slip="Zeroes dout in place and returns it, changing the caller's upstream gradient.", code='''
def relu_backward(dout, x):
    dout[x <= 0] = 0
    dx = dout
    return dx
'''),
    dict(exercise="relu_backward", kind="wrong", slip="Returns the 0/1 mask without multiplying by dout.", code='''
def relu_backward(dout, x):
    dx = (x > 0).astype(float)
    return dx
'''),

    dict(exercise="mse_loss", kind="correct", slip="", code='''
def mse_loss(y_hat, y):
    """Mean squared error (mean over the N examples) and its gradient."""
    N = y_hat.shape[0]
    diff = y_hat - y
    loss = np.sum(diff ** 2) / N
    dy_hat = 2 * diff / N
    return loss, dy_hat
'''),
    dict(exercise="mse_loss", kind="wrong", slip="Forgets the 1/N of the mean in the gradient.", code='''
def mse_loss(y_hat, y):
    N = y_hat.shape[0]
    loss = np.sum((y_hat - y) ** 2) / N
    dy_hat = 2 * (y_hat - y)
    return loss, dy_hat
'''),
    dict(exercise="mse_loss", kind="wrong", slip="Forgets the factor 2 from differentiating the square.", code='''
def mse_loss(y_hat, y):
    N = y_hat.shape[0]
    loss = np.sum((y_hat - y) ** 2) / N
    dy_hat = (y_hat - y) / N
    return loss, dy_hat
'''),
    dict(exercise="mse_loss", kind="wrong", slip="Writes the error as y - y_hat in the gradient, flipping its sign.", code='''
def mse_loss(y_hat, y):
    N = y_hat.shape[0]
    loss = np.sum((y_hat - y) ** 2) / N
    dy_hat = 2 * (y - y_hat) / N
    return loss, dy_hat
'''),
    dict(exercise="mse_loss", kind="wrong", slip="Uses np.mean for the loss and divides the gradient by y_hat.size, i.e. by N * C.", code='''
def mse_loss(y_hat, y):
    loss = np.mean((y_hat - y) ** 2)
    dy_hat = 2 * (y_hat - y) / y_hat.size
    return loss, dy_hat
'''),

    dict(exercise="softmax_cross_entropy", kind="correct", slip="", code='''
def softmax_cross_entropy(scores, y):
    """Softmax cross-entropy averaged over the batch, and dscores = (p - onehot(y)) / N."""
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_sum
    loss = -np.mean(log_p[np.arange(N), y])
    p = np.exp(log_p)
    dscores = p.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    return loss, dscores
'''),
    dict(exercise="softmax_cross_entropy", kind="wrong", slip="Forgets to divide dscores by N.", code='''
def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(N), y])
    dscores = np.exp(log_p)
    dscores[np.arange(N), y] -= 1
    return loss, dscores
'''),
    dict(exercise="softmax_cross_entropy", kind="wrong", slip="Does not subtract the row maximum, so scores like 1000 give nan.", code='''
def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(N), y]))
    dscores = p.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    return loss, dscores
'''),
    dict(exercise="softmax_cross_entropy", kind="wrong", slip="Writes the gradient as (onehot(y) - p) / N, with the wrong sign.", code='''
def softmax_cross_entropy(scores, y):
    N, C = scores.shape
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(N), y])
    dscores = (np.eye(C)[y] - np.exp(log_p)) / N
    return loss, dscores
'''),
    dict(exercise="softmax_cross_entropy", kind="wrong", slip="Returns the summed loss instead of the mean over the batch.", code='''
def softmax_cross_entropy(scores, y):
    N, C = scores.shape
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.sum(log_p[np.arange(N), y])
    dscores = (np.exp(log_p) - np.eye(C)[y]) / N
    return loss, dscores
'''),
    dict(exercise="softmax_cross_entropy", kind="wrong", slip="Returns the probabilities divided by N as the gradient, forgetting to subtract the one-hot labels.", code='''
def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(N), y])
    dscores = np.exp(log_p) / N
    return loss, dscores
'''),
]
