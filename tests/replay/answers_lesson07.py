"""Answers to lesson 07's exercises, written from the lesson text alone: one correct answer per exercise and the slips learners make."""

ANSWERS = [
    dict(exercise="iterate_minibatches", kind="correct", slip="", code='''
def iterate_minibatches(X, y, batch_size, rng):
    """Yield the mini-batches (X_batch, y_batch) of one epoch, in a random order."""
    N = X.shape[0]
    order = rng.permutation(N)
    for start in range(0, N, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]
'''),
    dict(exercise="iterate_minibatches", kind="wrong", slip="Ignores the rng argument and shuffles with np.random.permutation, so seeded runs do not repeat.", code='''
def iterate_minibatches(X, y, batch_size, rng):
    N = X.shape[0]
    order = np.random.permutation(N)
    for start in range(0, N, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]
'''),
    dict(exercise="iterate_minibatches", kind="wrong", slip="Draws two different permutations for X and y, so examples lose their labels.", code='''
def iterate_minibatches(X, y, batch_size, rng):
    N = X.shape[0]
    X_shuffled = X[rng.permutation(N)]
    y_shuffled = y[rng.permutation(N)]
    for start in range(0, N, batch_size):
        yield X_shuffled[start:start + batch_size], y_shuffled[start:start + batch_size]
'''),
    dict(exercise="iterate_minibatches", kind="wrong", slip="Drops the last, smaller batch when the batch size does not divide N.", code='''
def iterate_minibatches(X, y, batch_size, rng):
    N = X.shape[0]
    order = rng.permutation(N)
    for k in range(N // batch_size):
        idx = order[k * batch_size:(k + 1) * batch_size]
        yield X[idx], y[idx]
'''),
    dict(exercise="iterate_minibatches", kind="wrong", slip="Never shuffles: yields the batches in the data's own order.", code='''
def iterate_minibatches(X, y, batch_size, rng):
    N = X.shape[0]
    for start in range(0, N, batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]
'''),

    dict(exercise="linear_forward", kind="correct", slip="", code='''
def linear_forward(X, W, b):
    """Lesson 01: out = X @ W + b."""
    out = X @ W + b
    return out
'''),
    dict(exercise="linear_forward", kind="wrong", slip="Pastes a version that forgets the bias.", code='''
def linear_forward(X, W, b):
    out = np.dot(X, W)
    return out
'''),
    dict(exercise="linear_forward", kind="wrong", slip="Uses X @ W.T, which runs only for square weights.", code='''
def linear_forward(X, W, b):
    out = X @ W.T + b
    return out
'''),

    dict(exercise="linear_backward", kind="correct", slip="", code='''
def linear_backward(dout, X, W):
    """Lesson 04: gradients of out = X @ W + b."""
    dX = dout @ W.T
    dW = X.T @ dout
    db = np.sum(dout, axis=0)
    return dX, dW, db
'''),
    dict(exercise="linear_backward", kind="wrong", slip="Averages db over the batch instead of summing, dividing by N twice.", code='''
def linear_backward(dout, X, W):
    dX = dout @ W.T
    dW = X.T @ dout
    db = np.mean(dout, axis=0)
    return dX, dW, db
'''),
    dict(exercise="linear_backward", kind="wrong", slip="Computes dX with X instead of W, mixing up which array goes with which gradient.", code='''
def linear_backward(dout, X, W):
    dX = dout @ X.T @ X
    dW = X.T @ dout
    db = np.sum(dout, axis=0)
    return dX, dW, db
'''),
    dict(exercise="linear_backward", kind="wrong", slip="Keeps the summed axis in db with keepdims, so db has shape (1, H) instead of (H,).", code='''
def linear_backward(dout, X, W):
    dX = dout @ W.T
    dW = X.T @ dout
    db = np.sum(dout, axis=0, keepdims=True)
    return dX, dW, db
'''),

    dict(exercise="relu", kind="correct", slip="", code='''
def relu(x):
    """Lesson 01: max(x, 0), elementwise."""
    out = np.maximum(x, 0)
    return out
'''),
    dict(exercise="relu", kind="wrong", slip="Uses np.max(x, 0), a reduction over axis 0, instead of np.maximum.", code='''
def relu(x):
    out = np.max(x, 0)
    return out
'''),
    dict(exercise="relu", kind="wrong", slip="Clips the negative entries in place, so the caller's array is changed.", code='''
def relu(x):
    np.maximum(x, 0, out=x)
    out = x
    return out
'''),

    dict(exercise="relu_backward", kind="correct", slip="", code='''
def relu_backward(dout, x):
    """Lesson 04: dL/dx = dout where the input x was positive, 0 elsewhere."""
    dx = np.where(x > 0, dout, 0.0)
    return dx
'''),
    dict(exercise="relu_backward", kind="wrong", slip="Gates with x >= 0, letting the gradient through at exactly 0.", code='''
def relu_backward(dout, x):
    dx = np.where(x >= 0, dout, 0.0)
    return dx
'''),
    dict(exercise="relu_backward", kind="wrong", slip="Applies the ReLU to dout, keeping its positive part, instead of gating on x.", code='''
def relu_backward(dout, x):
    dx = np.maximum(dout, 0)
    return dx
'''),

    dict(exercise="softmax_cross_entropy", kind="correct", slip="", code='''
def softmax_cross_entropy(scores, y):
    """Lesson 04: the mean cross-entropy of softmax(scores) for labels y, and dL/dscores."""
    N = scores.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(N), y])
    dscores = np.exp(log_p)
    dscores[np.arange(N), y] -= 1
    dscores = dscores / N
    return loss, dscores
'''),
    dict(exercise="softmax_cross_entropy", kind="wrong", slip="Forgets the 1/N in dscores.", code='''
def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(N), y])
    dscores = np.exp(log_p)
    dscores[np.arange(N), y] -= 1
    return loss, dscores
'''),
    dict(exercise="softmax_cross_entropy", kind="wrong", slip="Subtracts 1 from a whole column, dscores[:, y] -= 1, instead of one entry per row.", code='''
def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(N), y])
    dscores = np.exp(log_p)
    dscores[:, y] -= 1
    dscores = dscores / N
    return loss, dscores
'''),

    dict(exercise="train_epoch", kind="correct", slip="", code='''
def train_epoch(model, batches, optimizer):
    """One epoch: loss, backward, optimizer step for each batch; returns the mean loss per example."""
    total, count = 0.0, 0
    for X_batch, y_batch in batches:
        batch_loss = model.loss(X_batch, y_batch)
        model.backward()
        optimizer.step(model.params, model.grads)
        total += batch_loss * len(X_batch)
        count += len(X_batch)
    return total / count
'''),
    dict(exercise="train_epoch", kind="wrong", slip="Averages the batch losses with equal weight, so the small last batch counts as much as a full one.", code='''
def train_epoch(model, batches, optimizer):
    total, count = 0.0, 0
    for X_batch, y_batch in batches:
        batch_loss = model.loss(X_batch, y_batch)
        model.backward()
        optimizer.step(model.params, model.grads)
        total += batch_loss
        count += 1
    return total / count
'''),
    dict(exercise="train_epoch", kind="wrong", slip="Calls the optimizer step before backward, so every step uses the previous batch's gradients.", code='''
def train_epoch(model, batches, optimizer):
    total, count = 0.0, 0
    for X_batch, y_batch in batches:
        batch_loss = model.loss(X_batch, y_batch)
        optimizer.step(model.params, model.grads)
        model.backward()
        total += batch_loss * len(X_batch)
        count += len(X_batch)
    return total / count
'''),
    dict(exercise="train_epoch", kind="wrong", slip="Assigns total = instead of total +=, so only the last batch's loss is kept.", code='''
def train_epoch(model, batches, optimizer):
    total, count = 0.0, 0
    for X_batch, y_batch in batches:
        batch_loss = model.loss(X_batch, y_batch)
        model.backward()
        optimizer.step(model.params, model.grads)
        total = batch_loss * len(X_batch)
        count += len(X_batch)
    return total / count
'''),

    dict(exercise="accuracy", kind="correct", slip="", code='''
def accuracy(scores, y):
    """Fraction of rows whose largest score is at the label."""
    result = np.mean(np.argmax(scores, axis=1) == y)
    return float(result)
'''),
    dict(exercise="accuracy", kind="correct-loops", slip="", code='''
def accuracy(scores, y):
    """Accuracy counted one example at a time."""
    right = 0
    for n in range(len(y)):
        if np.argmax(scores[n]) == y[n]:
            right += 1
    result = right / len(y)
    return float(result)
'''),
    dict(exercise="accuracy", kind="wrong", slip="Takes argmax over axis 0, one index per class instead of one per example.", code='''
def accuracy(scores, y):
    result = np.mean(np.argmax(scores, axis=0) == y)
    return float(result)
'''),
    dict(exercise="accuracy", kind="wrong", slip="Counts the correct predictions with np.sum instead of taking the fraction.", code='''
def accuracy(scores, y):
    result = np.sum(np.argmax(scores, axis=1) == y)
    return float(result)
'''),
    dict(exercise="accuracy", kind="wrong", slip="Uses np.argmax without an axis, which returns one index into the flattened array.", code='''
def accuracy(scores, y):
    result = np.mean(np.argmax(scores) == y)
    return float(result)
'''),

    dict(exercise="fit", kind="correct", slip="", code='''
def fit(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    """Train for `epochs` epochs of shuffled mini-batches; measure after every epoch."""
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for epoch in range(epochs):
        batches = iterate_minibatches(X_train, y_train, batch_size, rng)
        history["loss"].append(train_epoch(model, batches, optimizer))
        history["train_accuracy"].append(accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(accuracy(model.forward(X_test), y_test))
    return history
'''),
    dict(exercise="fit", kind="wrong", slip="Measures the accuracies before each epoch's training instead of after it.", code='''
def fit(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for epoch in range(epochs):
        history["train_accuracy"].append(accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(accuracy(model.forward(X_test), y_test))
        batches = iterate_minibatches(X_train, y_train, batch_size, rng)
        history["loss"].append(train_epoch(model, batches, optimizer))
    return history
'''),
    dict(exercise="fit", kind="wrong", slip="Creates a new generator with the same seed every epoch, so every epoch sees the same batch order.", code='''
def fit(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for epoch in range(epochs):
        batches = iterate_minibatches(X_train, y_train, batch_size, np.random.default_rng(0))
        history["loss"].append(train_epoch(model, batches, optimizer))
        history["train_accuracy"].append(accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(accuracy(model.forward(X_test), y_test))
    return history
'''),
    dict(exercise="fit", kind="wrong", slip="Measures the test accuracy on the training set.", code='''
def fit(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for epoch in range(epochs):
        batches = iterate_minibatches(X_train, y_train, batch_size, rng)
        history["loss"].append(train_epoch(model, batches, optimizer))
        history["train_accuracy"].append(accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(accuracy(model.forward(X_train), y_train))
    return history
'''),
    dict(exercise="fit", kind="wrong", slip="Builds the batches once before the loop, so after the first epoch the exhausted generator yields nothing.", code='''
def fit(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    batches = iterate_minibatches(X_train, y_train, batch_size, rng)
    for epoch in range(epochs):
        history["loss"].append(train_epoch(model, batches, optimizer))
        history["train_accuracy"].append(accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(accuracy(model.forward(X_test), y_test))
    return history
'''),

    dict(exercise="mse_loss", kind="correct", slip="", code='''
def mse_loss(y_hat, y):
    """Lesson 04: loss = (1/N) * sum((y_hat - y)**2) and dy_hat = 2 (y_hat - y) / N."""
    N = y_hat.shape[0]
    loss = np.sum((y_hat - y) ** 2) / N
    dy_hat = 2 * (y_hat - y) / N
    return loss, dy_hat
'''),
    dict(exercise="mse_loss", kind="wrong", slip="Uses np.mean, dividing both the loss and the gradient by N * C.", code='''
def mse_loss(y_hat, y):
    loss = np.mean((y_hat - y) ** 2)
    dy_hat = 2 * (y_hat - y) / y_hat.size
    return loss, dy_hat
'''),
    dict(exercise="mse_loss", kind="wrong", slip="Leaves the 1/N out of the gradient.", code='''
def mse_loss(y_hat, y):
    N = y_hat.shape[0]
    loss = np.sum((y_hat - y) ** 2) / N
    dy_hat = 2 * (y_hat - y)
    return loss, dy_hat
'''),
]
