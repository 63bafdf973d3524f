"""Answers to lesson 11's exercises, written from the lesson text alone: one correct answer per exercise and the slips learners make."""

ANSWERS = [
    dict(exercise="init_std", kind="correct", slip="", code='''
def init_std(scheme, fan_in, fan_out):
    """The standard deviation of the initial weights of a layer with W of shape (fan_in, fan_out)."""
    if scheme == "he":
        return float(np.sqrt(2.0 / fan_in))
    elif scheme == "xavier":
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    raise ValueError(f"unknown scheme {scheme!r}")
'''),
    dict(exercise="init_std", kind="wrong", slip="Returns the variance instead of its square root.", code='''
def init_std(scheme, fan_in, fan_out):
    if scheme == "he":
        return 2.0 / fan_in
    return 2.0 / (fan_in + fan_out)
'''),
    dict(exercise="init_std", kind="wrong", slip="Uses fan_out instead of fan_in in He's formula.", code='''
def init_std(scheme, fan_in, fan_out):
    if scheme == "he":
        return float(np.sqrt(2.0 / fan_out))
    return float(np.sqrt(2.0 / (fan_in + fan_out)))
'''),
    dict(exercise="init_std", kind="wrong", slip="Uses 1/fan_in for Xavier, the square-layer special case, instead of 2/(fan_in + fan_out).", code='''
def init_std(scheme, fan_in, fan_out):
    if scheme == "he":
        return float(np.sqrt(2.0 / fan_in))
    return float(np.sqrt(1.0 / fan_in))
'''),
    dict(exercise="init_std", kind="wrong", slip="Forgets the 2 in Xavier's numerator: sqrt(1 / (fan_in + fan_out)).", code='''
def init_std(scheme, fan_in, fan_out):
    if scheme == "he":
        return float(np.sqrt(2.0 / fan_in))
    return float(np.sqrt(1.0 / (fan_in + fan_out)))
'''),

    dict(exercise="l2_loss_and_grad", kind="correct", slip="", code='''
def l2_loss_and_grad(params, reg):
    """L2 regularisation on the weights only: (reg_loss, reg_grads)."""
    reg_loss = 0.0
    reg_grads = {}
    for name, value in params.items():
        if name.startswith("W"):
            reg_loss += 0.5 * reg * np.sum(value ** 2)
            reg_grads[name] = reg * value
        else:
            reg_grads[name] = np.zeros_like(value)
    return float(reg_loss), reg_grads
'''),
    dict(exercise="l2_loss_and_grad", kind="correct-loops", slip="", code='''
def l2_loss_and_grad(params, reg):
    """L2 regularisation, summing the squares entry by entry."""
    reg_loss = 0.0
    reg_grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value, dtype=float)
        if name.startswith("W"):
            for idx in np.ndindex(value.shape):
                reg_loss += 0.5 * reg * value[idx] ** 2
                grad[idx] = reg * value[idx]
        reg_grads[name] = grad
    return float(reg_loss), reg_grads
'''),
    dict(exercise="l2_loss_and_grad", kind="wrong", slip="Regularises the biases (and every other parameter) as well as the weights.", code='''
def l2_loss_and_grad(params, reg):
    reg_loss = 0.0
    reg_grads = {}
    for name, value in params.items():
        reg_loss += 0.5 * reg * np.sum(value ** 2)
        reg_grads[name] = reg * value
    return float(reg_loss), reg_grads
'''),
    dict(exercise="l2_loss_and_grad", kind="wrong", slip="Forgets the 1/2 in the penalty while keeping the gradient reg * W.", code='''
def l2_loss_and_grad(params, reg):
    reg_loss = 0.0
    reg_grads = {}
    for name, value in params.items():
        if name.startswith("W"):
            reg_loss += reg * np.sum(value ** 2)
            reg_grads[name] = reg * value
        else:
            reg_grads[name] = np.zeros_like(value)
    return float(reg_loss), reg_grads
'''),
    dict(exercise="l2_loss_and_grad", kind="wrong", slip="Differentiates the square as 2 reg W, forgetting that the 1/2 cancels the 2.", code='''
def l2_loss_and_grad(params, reg):
    reg_loss = 0.0
    reg_grads = {}
    for name, value in params.items():
        if name.startswith("W"):
            reg_loss += 0.5 * reg * np.sum(value ** 2)
            reg_grads[name] = 2 * reg * value
        else:
            reg_grads[name] = np.zeros_like(value)
    return float(reg_loss), reg_grads
'''),
    dict(exercise="l2_loss_and_grad", kind="wrong", slip="Puts only the weights in reg_grads, leaving out the keys of the other parameters.", code='''
def l2_loss_and_grad(params, reg):
    reg_loss = 0.0
    reg_grads = {}
    for name, value in params.items():
        if name.startswith("W"):
            reg_loss += 0.5 * reg * np.sum(value ** 2)
            reg_grads[name] = reg * value
    return float(reg_loss), reg_grads
'''),
    dict(exercise="l2_loss_and_grad", kind="wrong", slip="Computes reg * W in place with *=, changing the weights in params.", code='''
def l2_loss_and_grad(params, reg):
    reg_loss = 0.0
    reg_grads = {}
    for name, value in params.items():
        if name.startswith("W"):
            reg_loss += 0.5 * reg * np.sum(value ** 2)
            value *= reg
            reg_grads[name] = value
        else:
            reg_grads[name] = np.zeros_like(value)
    return float(reg_loss), reg_grads
'''),

    dict(exercise="inverted_dropout_forward", kind="correct", slip="", code='''
def inverted_dropout_forward(X, p, rng, train=True):
    """Inverted dropout: (out, mask), both of the shape of X."""
    if train:
        mask = (rng.random(X.shape) >= p) / (1 - p)
    else:
        mask = np.ones_like(X)
    out = X * mask
    return out, mask
'''),
    dict(exercise="inverted_dropout_forward", kind="wrong", slip="Ignores the rng argument and draws the mask with np.random, so seeded runs do not repeat.", code='''
def inverted_dropout_forward(X, p, rng, train=True):
    if train:
        mask = (np.random.rand(*X.shape) >= p) / (1 - p)
    else:
        mask = np.ones_like(X)
    out = X * mask
    return out, mask
'''),
    dict(exercise="inverted_dropout_forward", kind="wrong", slip="Does not scale the kept units by 1/(1 - p), so the mask is 0 or 1.", code='''
def inverted_dropout_forward(X, p, rng, train=True):
    if train:
        mask = (rng.random(X.shape) >= p).astype(float)
    else:
        mask = np.ones_like(X)
    out = X * mask
    return out, mask
'''),
    dict(exercise="inverted_dropout_forward", kind="wrong", slip="Keeps each unit with probability p instead of dropping it with probability p.", code='''
def inverted_dropout_forward(X, p, rng, train=True):
    if train:
        mask = (rng.random(X.shape) < p) / (1 - p)
    else:
        mask = np.ones_like(X)
    out = X * mask
    return out, mask
'''),
    dict(exercise="inverted_dropout_forward", kind="wrong", slip="Draws and applies the mask in evaluation mode too, ignoring train.", code='''
def inverted_dropout_forward(X, p, rng, train=True):
    mask = (rng.random(X.shape) >= p) / (1 - p)
    out = X * mask
    return out, mask
'''),
    dict(exercise="inverted_dropout_forward", kind="wrong", slip="Multiplies the survivors by (1 - p) instead of dividing, as in the original (non-inverted) dropout.", code='''
def inverted_dropout_forward(X, p, rng, train=True):
    if train:
        mask = (rng.random(X.shape) >= p) * (1 - p)
    else:
        mask = np.ones_like(X)
    out = X * mask
    return out, mask
'''),

    dict(exercise="inverted_dropout_backward", kind="correct", slip="", code='''
def inverted_dropout_backward(dout, mask):
    """The backward pass of inverted dropout: dX = dout * mask."""
    dX = dout * mask
    return dX
'''),
    dict(exercise="inverted_dropout_backward", kind="correct-loops", slip="", code='''
def inverted_dropout_backward(dout, mask):
    """Inverted dropout backward, one entry at a time."""
    dX = np.zeros_like(dout, dtype=float)
    for idx in np.ndindex(dout.shape):
        dX[idx] = dout[idx] * mask[idx]
    return dX
'''),
    dict(exercise="inverted_dropout_backward", kind="wrong", slip="Uses the mask only to gate (mask > 0) and forgets the 1/(1 - p) factor of the kept units.", code='''
def inverted_dropout_backward(dout, mask):
    dX = dout * (mask > 0)
    return dX
'''),
    dict(exercise="inverted_dropout_backward", kind="wrong", slip="Divides by the mask instead of multiplying, undoing the scale and dividing by zero for dropped units.", code='''
def inverted_dropout_backward(dout, mask):
    dX = dout / mask
    return dX
'''),
    dict(exercise="inverted_dropout_backward", kind="wrong", slip="Returns the mask itself, forgetting the upstream gradient.", code='''
def inverted_dropout_backward(dout, mask):
    dX = mask
    return dX
'''),

    dict(exercise="batchnorm_layer_forward", kind="correct", slip="", code='''
def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
    """Batch normalisation as a layer, with batch statistics in training and running ones in evaluation."""
    if train:
        mean = X.mean(axis=0)
        var = X.var(axis=0)
        running["mean"] = momentum * running["mean"] + (1 - momentum) * mean
        running["var"] = momentum * running["var"] + (1 - momentum) * var
    else:
        mean = running["mean"]
        var = running["var"]
    x_hat = (X - mean) / np.sqrt(var + eps)
    out = gamma * x_hat + beta
    return out
'''),
    dict(exercise="batchnorm_layer_forward", kind="wrong", slip="Reverses the momentum convention, keeping (1 - m) of the old average and m of the new batch.", code='''
def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
    if train:
        mean = X.mean(axis=0)
        var = X.var(axis=0)
        running["mean"] = (1 - momentum) * running["mean"] + momentum * mean
        running["var"] = (1 - momentum) * running["var"] + momentum * var
    else:
        mean = running["mean"]
        var = running["var"]
    out = gamma * (X - mean) / np.sqrt(var + eps) + beta
    return out
'''),
    dict(exercise="batchnorm_layer_forward", kind="wrong", slip="Normalises with the batch statistics in evaluation mode too, ignoring the running averages.", code='''
def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
    mean = X.mean(axis=0)
    var = X.var(axis=0)
    if train:
        running["mean"] = momentum * running["mean"] + (1 - momentum) * mean
        running["var"] = momentum * running["var"] + (1 - momentum) * var
    out = gamma * (X - mean) / np.sqrt(var + eps) + beta
    return out
'''),
    dict(exercise="batchnorm_layer_forward", kind="wrong", slip="Rebinds running to a new dict inside the function, so the caller's running averages never change.", code='''
def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
    if train:
        mean = X.mean(axis=0)
        var = X.var(axis=0)
        running = {"mean": momentum * running["mean"] + (1 - momentum) * mean,
                   "var": momentum * running["var"] + (1 - momentum) * var}
    else:
        mean = running["mean"]
        var = running["var"]
    out = gamma * (X - mean) / np.sqrt(var + eps) + beta
    return out
'''),
    dict(exercise="batchnorm_layer_forward", kind="wrong", slip="Uses the unbiased variance (ddof=1) for the batch statistics.", code='''
def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
    if train:
        mean = X.mean(axis=0)
        var = X.var(axis=0, ddof=1)
        running["mean"] = momentum * running["mean"] + (1 - momentum) * mean
        running["var"] = momentum * running["var"] + (1 - momentum) * var
    else:
        mean = running["mean"]
        var = running["var"]
    out = gamma * (X - mean) / np.sqrt(var + eps) + beta
    return out
'''),
    dict(exercise="batchnorm_layer_forward", kind="wrong", slip="Normalises with the running averages after updating them, instead of with the batch's own statistics in training mode.", code='''
def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
    if train:
        running["mean"] = momentum * running["mean"] + (1 - momentum) * X.mean(axis=0)
        running["var"] = momentum * running["var"] + (1 - momentum) * X.var(axis=0)
    out = gamma * (X - running["mean"]) / np.sqrt(running["var"] + eps) + beta
    return out
'''),
    dict(exercise="batchnorm_layer_forward", kind="wrong", slip="Centres X in place (X -= mean), changing the caller's array.", code='''
def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
    if train:
        mean = X.mean(axis=0)
        var = X.var(axis=0)
        running["mean"] = momentum * running["mean"] + (1 - momentum) * mean
        running["var"] = momentum * running["var"] + (1 - momentum) * var
    else:
        mean = running["mean"]
        var = running["var"]
    X -= mean
    out = gamma * X / np.sqrt(var + eps) + beta
    return out
'''),
]
