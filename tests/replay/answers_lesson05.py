"""Answers to lesson 05's exercises, written from the lesson text alone: one correct answer per exercise and the slips learners make."""

ANSWERS = [
    dict(exercise="mlp_forward", kind="correct", slip="", code='''
def mlp_forward(X, params, activation):
    """Forward pass of an MLP, keeping a cache per layer."""
    act_forward, act_backward = ACTIVATIONS[activation]
    L = len(params) // 2
    caches = []
    h = X
    for l in range(1, L + 1):
        z, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, act_cache = act_forward(z)
            caches.append((linear_cache, act_cache, act_backward))
        else:
            caches.append((linear_cache, None, None))
            scores = z
    return scores, caches
'''),
    dict(exercise="mlp_forward", kind="wrong", slip="Applies the activation after the output layer too.", code='''
def mlp_forward(X, params, activation):
    act_forward, act_backward = ACTIVATIONS[activation]
    L = len(params) // 2
    caches = []
    h = X
    for l in range(1, L + 1):
        z, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        h, act_cache = act_forward(z)
        if l < L:
            caches.append((linear_cache, act_cache, act_backward))
        else:
            caches.append((linear_cache, None, None))
    scores = h
    return scores, caches
'''),
    dict(exercise="mlp_forward", kind="wrong", slip="Stores the activation's forward function in the cache instead of its backward function.", code='''
def mlp_forward(X, params, activation):
    act_forward, act_backward = ACTIVATIONS[activation]
    L = len(params) // 2
    caches = []
    h = X
    for l in range(1, L + 1):
        z, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, act_cache = act_forward(z)
            caches.append((linear_cache, act_cache, act_forward))
        else:
            caches.append((linear_cache, None, None))
    scores = z
    return scores, caches
'''),
    dict(exercise="mlp_forward", kind="wrong", slip="Counts the layers as len(params) instead of len(params) // 2.", code='''
def mlp_forward(X, params, activation):
    act_forward, act_backward = ACTIVATIONS[activation]
    L = len(params)
    caches = []
    h = X
    for l in range(1, L + 1):
        z, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, act_cache = act_forward(z)
            caches.append((linear_cache, act_cache, act_backward))
        else:
            caches.append((linear_cache, None, None))
    scores = z
    return scores, caches
'''),
    dict(exercise="mlp_forward", kind="wrong", slip="Leaves the output layer's (linear_cache, None, None) entry out of caches, keeping only the hidden layers.", code='''
def mlp_forward(X, params, activation):
    act_forward, act_backward = ACTIVATIONS[activation]
    L = len(params) // 2
    caches = []
    h = X
    for l in range(1, L):
        z, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        h, act_cache = act_forward(z)
        caches.append((linear_cache, act_cache, act_backward))
    scores, _ = linear_forward(h, params[f"W{L}"], params[f"b{L}"])
    return scores, caches
'''),

    dict(exercise="mlp_backward", kind="correct", slip="", code='''
def mlp_backward(dscores, caches, params):
    """Backward pass of an MLP: from the last layer to the first."""
    grads = {}
    L = len(caches)
    dh = dscores
    for l in range(L, 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is None:
            dz = dh
        else:
            dz = act_backward(dh, act_cache)
        dh, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dz, linear_cache)
    return grads
'''),
    dict(exercise="mlp_backward", kind="wrong", slip="Walks through the layers in forward order instead of from the last to the first.", code='''
def mlp_backward(dscores, caches, params):
    grads = {}
    L = len(caches)
    dh = dscores
    for l in range(1, L + 1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        dz = dh if act_backward is None else act_backward(dh, act_cache)
        dh, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dz, linear_cache)
    return grads
'''),
    dict(exercise="mlp_backward", kind="wrong", slip="Skips the activation's backward, passing dh straight to the linear backward.", code='''
def mlp_backward(dscores, caches, params):
    grads = {}
    L = len(caches)
    dh = dscores
    for l in range(L, 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        dh, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dh, linear_cache)
    return grads
'''),
    dict(exercise="mlp_backward", kind="wrong", slip="Does not pass the upstream gradient down: every layer starts again from dscores.", code='''
def mlp_backward(dscores, caches, params):
    grads = {}
    L = len(caches)
    for l in range(L, 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        dz = dscores if act_backward is None else act_backward(dscores, act_cache)
        dX, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dz, linear_cache)
    return grads
'''),
    dict(exercise="mlp_backward", kind="wrong", slip="Stores each layer's gradients under the next layer's name (off by one in the keys).", code='''
def mlp_backward(dscores, caches, params):
    grads = {}
    L = len(caches)
    dh = dscores
    for i in reversed(range(L)):
        linear_cache, act_cache, act_backward = caches[i]
        dz = dh if act_backward is None else act_backward(dh, act_cache)
        dh, grads[f"W{i}"], grads[f"b{i}"] = linear_backward(dz, linear_cache)
    return grads
'''),

    dict(exercise="loss_and_grads", kind="correct", slip="", code='''
def loss_and_grads(X, y, params, activation="relu"):
    """Softmax cross-entropy loss of an MLP and the gradients of its parameters."""
    scores, caches = mlp_forward(X, params, activation)
    loss, dscores = softmax_cross_entropy(scores, y)
    grads = mlp_backward(dscores, caches, params)
    return loss, grads
'''),
    dict(exercise="loss_and_grads", kind="wrong", slip="Hard-codes the ReLU activation instead of passing the activation argument on.", code='''
def loss_and_grads(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, "relu")
    loss, dscores = softmax_cross_entropy(scores, y)
    grads = mlp_backward(dscores, caches, params)
    return loss, grads
'''),
    dict(exercise="loss_and_grads", kind="wrong", slip="Passes the scores to the backward pass instead of the loss's gradient dscores.", code='''
def loss_and_grads(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    loss, dscores = softmax_cross_entropy(scores, y)
    grads = mlp_backward(scores, caches, params)
    return loss, grads
'''),
    dict(exercise="loss_and_grads", kind="wrong", slip="Multiplies dscores by N, thinking the backward pass divides by the batch size again.", code='''
def loss_and_grads(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    loss, dscores = softmax_cross_entropy(scores, y)
    grads = mlp_backward(dscores * len(y), caches, params)
    return loss, grads
'''),

    dict(exercise="gradient_norms", kind="correct", slip="", code='''
def gradient_norms(grads):
    """The norm of each layer's weight gradient, in layer order."""
    L = len(grads) // 2
    norms = np.array([np.sqrt(np.sum(grads[f"W{l}"] ** 2)) for l in range(1, L + 1)])
    return norms
'''),
    dict(exercise="gradient_norms", kind="correct-loops", slip="", code='''
def gradient_norms(grads):
    """Weight-gradient norms, summing the squares with explicit loops."""
    L = len(grads) // 2
    norms = np.zeros(L)
    for l in range(1, L + 1):
        total = 0.0
        for value in grads[f"W{l}"].ravel():
            total += value * value
        norms[l - 1] = total ** 0.5
    return norms
'''),
    dict(exercise="gradient_norms", kind="wrong", slip="Includes the biases' gradients in the list of norms.", code='''
def gradient_norms(grads):
    norms = np.array([np.linalg.norm(g) for g in grads.values()])
    return norms
'''),
    dict(exercise="gradient_norms", kind="wrong", slip="Sorts the keys as strings, so W10 comes before W2 in deep networks.", code='''
def gradient_norms(grads):
    names = sorted(name for name in grads if name.startswith("W"))
    norms = np.array([np.linalg.norm(grads[name]) for name in names])
    return norms
'''),
    dict(exercise="gradient_norms", kind="wrong", slip="Returns the sum of squares without taking the square root.", code='''
def gradient_norms(grads):
    L = len(grads) // 2
    norms = np.array([np.sum(grads[f"W{l}"] ** 2) for l in range(1, L + 1)])
    return norms
'''),
    dict(exercise="gradient_norms", kind="wrong", slip="Takes the norm along axis 0, giving one norm per column instead of one number per layer.", code='''
def gradient_norms(grads):
    L = len(grads) // 2
    norms = np.array([np.linalg.norm(grads[f"W{l}"], axis=0) for l in range(1, L + 1)])
    return norms
'''),
]
