"""Answers to lesson 10's exercises, written from the lesson text alone: one correct answer per exercise and the slips learners make."""

ANSWERS = [
    dict(exercise="softmax_ce_forward_intermediates", kind="correct", slip="", code='''
def softmax_ce_forward_intermediates(scores, y):
    """Softmax cross-entropy, one intermediate at a time."""
    N = scores.shape[0]
    m = scores.max(axis=1, keepdims=True)
    shifted = scores - m
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    p = e / s
    logp = np.log(p)
    picked = logp[np.arange(N), y]
    loss = float(-picked.mean())
    return {"m": m, "shifted": shifted, "e": e, "s": s, "p": p, "logp": logp, "picked": picked,
            "loss": loss}
'''),
    dict(exercise="softmax_ce_forward_intermediates", kind="wrong", slip="Takes the row maximum without keepdims, so m is (N,) and broadcasts along the wrong axis.", code='''
def softmax_ce_forward_intermediates(scores, y):
    N = scores.shape[0]
    m = scores.max(axis=1)
    shifted = scores - m
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    p = e / s
    logp = np.log(p)
    picked = logp[np.arange(N), y]
    loss = -picked.mean()
    return {"m": m, "shifted": shifted, "e": e, "s": s, "p": p, "logp": logp, "picked": picked,
            "loss": loss}
'''),
    dict(exercise="softmax_ce_forward_intermediates", kind="wrong", slip="Sums e over axis 0 (the batch) instead of over each row's classes.", code='''
def softmax_ce_forward_intermediates(scores, y):
    N = scores.shape[0]
    m = scores.max(axis=1, keepdims=True)
    shifted = scores - m
    e = np.exp(shifted)
    s = e.sum(axis=0, keepdims=True)
    p = e / s
    logp = np.log(p)
    picked = logp[np.arange(N), y]
    loss = -picked.mean()
    return {"m": m, "shifted": shifted, "e": e, "s": s, "p": p, "logp": logp, "picked": picked,
            "loss": loss}
'''),
    dict(exercise="softmax_ce_forward_intermediates", kind="wrong", slip="Forgets the minus sign of the loss, so it is negative.", code='''
def softmax_ce_forward_intermediates(scores, y):
    N = scores.shape[0]
    m = scores.max(axis=1, keepdims=True)
    shifted = scores - m
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    p = e / s
    logp = np.log(p)
    picked = logp[np.arange(N), y]
    loss = picked.mean()
    return {"m": m, "shifted": shifted, "e": e, "s": s, "p": p, "logp": logp, "picked": picked,
            "loss": loss}
'''),
    dict(exercise="softmax_ce_forward_intermediates", kind="wrong", slip="Picks logp[:, y], an N x N block, instead of one entry per row.", code='''
def softmax_ce_forward_intermediates(scores, y):
    N = scores.shape[0]
    m = scores.max(axis=1, keepdims=True)
    shifted = scores - m
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    p = e / s
    logp = np.log(p)
    picked = logp[:, y]
    loss = -picked.mean()
    return {"m": m, "shifted": shifted, "e": e, "s": s, "p": p, "logp": logp, "picked": picked,
            "loss": loss}
'''),

    dict(exercise="softmax_ce_backward_by_hand", kind="correct", slip="", code='''
def softmax_ce_backward_by_hand(scores, y, fwd):
    """The backward pass of softmax cross-entropy through every intermediate, in reverse."""
    N, C = scores.shape
    rows = np.arange(N)
    e, s, p = fwd["e"], fwd["s"], fwd["p"]
    dpicked = -np.ones(N) / N
    dlogp = np.zeros((N, C))
    dlogp[rows, y] = dpicked
    dp = dlogp / p
    ds = -np.sum(dp * e / s ** 2, axis=1, keepdims=True)
    de = dp / s + ds
    dshifted = de * e
    dm = -np.sum(dshifted, axis=1, keepdims=True)
    dscores = dshifted.copy()
    dscores[rows, scores.argmax(axis=1)] += dm[:, 0]
    return {"dpicked": dpicked, "dlogp": dlogp, "dp": dp, "ds": ds, "de": de, "dshifted": dshifted,
            "dm": dm, "dscores": dscores}
'''),
    dict(exercise="softmax_ce_backward_by_hand", kind="wrong", slip="Leaves the path through s out of de, treating s as a constant.", code='''
def softmax_ce_backward_by_hand(scores, y, fwd):
    N, C = scores.shape
    rows = np.arange(N)
    e, s, p = fwd["e"], fwd["s"], fwd["p"]
    dpicked = -np.ones(N) / N
    dlogp = np.zeros((N, C))
    dlogp[rows, y] = dpicked
    dp = dlogp / p
    ds = -np.sum(dp * e / s ** 2, axis=1, keepdims=True)
    de = dp / s
    dshifted = de * e
    dm = -np.sum(dshifted, axis=1, keepdims=True)
    dscores = dshifted.copy()
    dscores[rows, scores.argmax(axis=1)] += dm[:, 0]
    return {"dpicked": dpicked, "dlogp": dlogp, "dp": dp, "ds": ds, "de": de, "dshifted": dshifted,
            "dm": dm, "dscores": dscores}
'''),
    dict(exercise="softmax_ce_backward_by_hand", kind="wrong", slip="Sums ds without keepdims, so the (N,) array broadcasts across the wrong axis in de.", code='''
def softmax_ce_backward_by_hand(scores, y, fwd):
    N, C = scores.shape
    rows = np.arange(N)
    e, s, p = fwd["e"], fwd["s"], fwd["p"]
    dpicked = -np.ones(N) / N
    dlogp = np.zeros((N, C))
    dlogp[rows, y] = dpicked
    dp = dlogp / p
    ds = -np.sum(dp * e / s ** 2, axis=1)
    de = dp / s + ds
    dshifted = de * e
    dm = -np.sum(dshifted, axis=1, keepdims=True)
    dscores = dshifted.copy()
    dscores[rows, scores.argmax(axis=1)] += dm[:, 0]
    return {"dpicked": dpicked, "dlogp": dlogp, "dp": dp, "ds": ds, "de": de, "dshifted": dshifted,
            "dm": dm, "dscores": dscores}
'''),
    dict(exercise="softmax_ce_backward_by_hand", kind="wrong", slip="Starts with dpicked = -1, forgetting the 1/N of the mean.", code='''
def softmax_ce_backward_by_hand(scores, y, fwd):
    N, C = scores.shape
    rows = np.arange(N)
    e, s, p = fwd["e"], fwd["s"], fwd["p"]
    dpicked = -np.ones(N)
    dlogp = np.zeros((N, C))
    dlogp[rows, y] = dpicked
    dp = dlogp / p
    ds = -np.sum(dp * e / s ** 2, axis=1, keepdims=True)
    de = dp / s + ds
    dshifted = de * e
    dm = -np.sum(dshifted, axis=1, keepdims=True)
    dscores = dshifted.copy()
    dscores[rows, scores.argmax(axis=1)] += dm[:, 0]
    return {"dpicked": dpicked, "dlogp": dlogp, "dp": dp, "ds": ds, "de": de, "dshifted": dshifted,
            "dm": dm, "dscores": dscores}
'''),
    dict(exercise="softmax_ce_backward_by_hand", kind="wrong", slip="Multiplies by p instead of dividing in the log's backward (dp = dlogp * p).", code='''
def softmax_ce_backward_by_hand(scores, y, fwd):
    N, C = scores.shape
    rows = np.arange(N)
    e, s, p = fwd["e"], fwd["s"], fwd["p"]
    dpicked = -np.ones(N) / N
    dlogp = np.zeros((N, C))
    dlogp[rows, y] = dpicked
    dp = dlogp * p
    ds = -np.sum(dp * e / s ** 2, axis=1, keepdims=True)
    de = dp / s + ds
    dshifted = de * e
    dm = -np.sum(dshifted, axis=1, keepdims=True)
    dscores = dshifted.copy()
    dscores[rows, scores.argmax(axis=1)] += dm[:, 0]
    return {"dpicked": dpicked, "dlogp": dlogp, "dp": dp, "ds": ds, "de": de, "dshifted": dshifted,
            "dm": dm, "dscores": dscores}
'''),
    dict(exercise="softmax_ce_backward_by_hand", kind="wrong", slip="Drops the minus sign in ds, the derivative of e / s with respect to s.", code='''
def softmax_ce_backward_by_hand(scores, y, fwd):
    N, C = scores.shape
    rows = np.arange(N)
    e, s, p = fwd["e"], fwd["s"], fwd["p"]
    dpicked = -np.ones(N) / N
    dlogp = np.zeros((N, C))
    dlogp[rows, y] = dpicked
    dp = dlogp / p
    ds = np.sum(dp * e / s ** 2, axis=1, keepdims=True)
    de = dp / s + ds
    dshifted = de * e
    dm = -np.sum(dshifted, axis=1, keepdims=True)
    dscores = dshifted.copy()
    dscores[rows, scores.argmax(axis=1)] += dm[:, 0]
    return {"dpicked": dpicked, "dlogp": dlogp, "dp": dp, "ds": ds, "de": de, "dshifted": dshifted,
            "dm": dm, "dscores": dscores}
'''),

    dict(exercise="batchnorm_forward_intermediates", kind="correct", slip="", code='''
def batchnorm_forward_intermediates(X, gamma, beta, eps=1e-5):
    """Batch normalisation in training mode, one intermediate at a time."""
    mean = X.mean(axis=0)
    xmu = X - mean
    sq = xmu ** 2
    var = sq.mean(axis=0)
    std = np.sqrt(var + eps)
    inv_std = 1.0 / std
    x_hat = xmu * inv_std
    out = gamma * x_hat + beta
    return {"mean": mean, "xmu": xmu, "sq": sq, "var": var, "std": std, "inv_std": inv_std,
            "x_hat": x_hat, "out": out}
'''),
    dict(exercise="batchnorm_forward_intermediates", kind="correct-loops", slip="", code='''
def batchnorm_forward_intermediates(X, gamma, beta, eps=1e-5):
    """Batch normalisation, feature by feature with explicit loops."""
    N, D = X.shape
    mean = np.zeros(D)
    var = np.zeros(D)
    for d in range(D):
        for n in range(N):
            mean[d] += X[n, d]
        mean[d] /= N
    xmu = np.zeros((N, D))
    sq = np.zeros((N, D))
    for n in range(N):
        for d in range(D):
            xmu[n, d] = X[n, d] - mean[d]
            sq[n, d] = xmu[n, d] ** 2
            var[d] += sq[n, d] / N
    std = np.sqrt(var + eps)
    inv_std = 1.0 / std
    x_hat = np.zeros((N, D))
    out = np.zeros((N, D))
    for n in range(N):
        for d in range(D):
            x_hat[n, d] = xmu[n, d] * inv_std[d]
            out[n, d] = gamma[d] * x_hat[n, d] + beta[d]
    return {"mean": mean, "xmu": xmu, "sq": sq, "var": var, "std": std, "inv_std": inv_std,
            "x_hat": x_hat, "out": out}
'''),
    dict(exercise="batchnorm_forward_intermediates", kind="wrong", slip="Uses the unbiased variance, dividing by N - 1.", code='''
def batchnorm_forward_intermediates(X, gamma, beta, eps=1e-5):
    N = X.shape[0]
    mean = X.mean(axis=0)
    xmu = X - mean
    sq = xmu ** 2
    var = sq.sum(axis=0) / (N - 1)
    std = np.sqrt(var + eps)
    inv_std = 1.0 / std
    x_hat = xmu * inv_std
    out = gamma * x_hat + beta
    return {"mean": mean, "xmu": xmu, "sq": sq, "var": var, "std": std, "inv_std": inv_std,
            "x_hat": x_hat, "out": out}
'''),
    dict(exercise="batchnorm_forward_intermediates", kind="wrong", slip="Adds eps after the square root instead of under it.", code='''
def batchnorm_forward_intermediates(X, gamma, beta, eps=1e-5):
    mean = X.mean(axis=0)
    xmu = X - mean
    sq = xmu ** 2
    var = sq.mean(axis=0)
    std = np.sqrt(var) + eps
    inv_std = 1.0 / std
    x_hat = xmu * inv_std
    out = gamma * x_hat + beta
    return {"mean": mean, "xmu": xmu, "sq": sq, "var": var, "std": std, "inv_std": inv_std,
            "x_hat": x_hat, "out": out}
'''),
    dict(exercise="batchnorm_forward_intermediates", kind="wrong", slip="Averages over axis 1 (the features of each example) instead of over the batch.", code='''
def batchnorm_forward_intermediates(X, gamma, beta, eps=1e-5):
    mean = X.mean(axis=1, keepdims=True)
    xmu = X - mean
    sq = xmu ** 2
    var = sq.mean(axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    inv_std = 1.0 / std
    x_hat = xmu * inv_std
    out = gamma * x_hat + beta
    return {"mean": mean, "xmu": xmu, "sq": sq, "var": var, "std": std, "inv_std": inv_std,
            "x_hat": x_hat, "out": out}
'''),
    dict(exercise="batchnorm_forward_intermediates", kind="wrong", slip="Swaps gamma and beta, scaling by beta and shifting by gamma.", code='''
def batchnorm_forward_intermediates(X, gamma, beta, eps=1e-5):
    mean = X.mean(axis=0)
    xmu = X - mean
    sq = xmu ** 2
    var = sq.mean(axis=0)
    std = np.sqrt(var + eps)
    inv_std = 1.0 / std
    x_hat = xmu * inv_std
    out = beta * x_hat + gamma
    return {"mean": mean, "xmu": xmu, "sq": sq, "var": var, "std": std, "inv_std": inv_std,
            "x_hat": x_hat, "out": out}
'''),

    dict(exercise="batchnorm_backward_staged", kind="correct", slip="", code='''
def batchnorm_backward_staged(dout, gamma, fwd):
    """Batch normalisation's backward pass, node by node."""
    N = dout.shape[0]
    xmu, std, inv_std, x_hat = fwd["xmu"], fwd["std"], fwd["inv_std"], fwd["x_hat"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dinv_std = (dx_hat * xmu).sum(axis=0)
    dstd = -dinv_std / std ** 2
    dvar = dstd / (2 * std)
    dsq = np.ones_like(xmu) * dvar / N
    dxmu = dx_hat * inv_std + 2 * xmu * dsq
    dmean = -dxmu.sum(axis=0)
    dX = dxmu + dmean / N
    return {"dbeta": dbeta, "dgamma": dgamma, "dx_hat": dx_hat, "dinv_std": dinv_std, "dstd": dstd,
            "dvar": dvar, "dsq": dsq, "dxmu": dxmu, "dmean": dmean, "dX": dX}
'''),
    dict(exercise="batchnorm_backward_staged", kind="wrong", slip="Divides dvar by N - 1 for dsq, differentiating the unbiased variance the forward pass does not compute.", code='''
def batchnorm_backward_staged(dout, gamma, fwd):
    N = dout.shape[0]
    xmu, std, inv_std, x_hat = fwd["xmu"], fwd["std"], fwd["inv_std"], fwd["x_hat"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dinv_std = (dx_hat * xmu).sum(axis=0)
    dstd = -dinv_std / std ** 2
    dvar = dstd / (2 * std)
    dsq = np.ones_like(xmu) * dvar / (N - 1)
    dxmu = dx_hat * inv_std + 2 * xmu * dsq
    dmean = -dxmu.sum(axis=0)
    dX = dxmu + dmean / N
    return {"dbeta": dbeta, "dgamma": dgamma, "dx_hat": dx_hat, "dinv_std": dinv_std, "dstd": dstd,
            "dvar": dvar, "dsq": dsq, "dxmu": dxmu, "dmean": dmean, "dX": dX}
'''),
    dict(exercise="batchnorm_backward_staged", kind="wrong", slip="Keeps only the path through x_hat in dxmu and forgets the path through sq.", code='''
def batchnorm_backward_staged(dout, gamma, fwd):
    N = dout.shape[0]
    xmu, std, inv_std, x_hat = fwd["xmu"], fwd["std"], fwd["inv_std"], fwd["x_hat"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dinv_std = (dx_hat * xmu).sum(axis=0)
    dstd = -dinv_std / std ** 2
    dvar = dstd / (2 * std)
    dsq = np.ones_like(xmu) * dvar / N
    dxmu = dx_hat * inv_std
    dmean = -dxmu.sum(axis=0)
    dX = dxmu + dmean / N
    return {"dbeta": dbeta, "dgamma": dgamma, "dx_hat": dx_hat, "dinv_std": dinv_std, "dstd": dstd,
            "dvar": dvar, "dsq": dsq, "dxmu": dxmu, "dmean": dmean, "dX": dX}
'''),
    dict(exercise="batchnorm_backward_staged", kind="wrong", slip="Forgets the minus sign of dmean (xmu = X - mean).", code='''
def batchnorm_backward_staged(dout, gamma, fwd):
    N = dout.shape[0]
    xmu, std, inv_std, x_hat = fwd["xmu"], fwd["std"], fwd["inv_std"], fwd["x_hat"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dinv_std = (dx_hat * xmu).sum(axis=0)
    dstd = -dinv_std / std ** 2
    dvar = dstd / (2 * std)
    dsq = np.ones_like(xmu) * dvar / N
    dxmu = dx_hat * inv_std + 2 * xmu * dsq
    dmean = dxmu.sum(axis=0)
    dX = dxmu + dmean / N
    return {"dbeta": dbeta, "dgamma": dgamma, "dx_hat": dx_hat, "dinv_std": dinv_std, "dstd": dstd,
            "dvar": dvar, "dsq": dsq, "dxmu": dxmu, "dmean": dmean, "dX": dX}
'''),
    dict(exercise="batchnorm_backward_staged", kind="wrong", slip="Leaves dsq as the (D,) vector dvar / N instead of an (N, D) array.", code='''
def batchnorm_backward_staged(dout, gamma, fwd):
    N = dout.shape[0]
    xmu, std, inv_std, x_hat = fwd["xmu"], fwd["std"], fwd["inv_std"], fwd["x_hat"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dinv_std = (dx_hat * xmu).sum(axis=0)
    dstd = -dinv_std / std ** 2
    dvar = dstd / (2 * std)
    dsq = dvar / N
    dxmu = dx_hat * inv_std + 2 * xmu * dsq
    dmean = -dxmu.sum(axis=0)
    dX = dxmu + dmean / N
    return {"dbeta": dbeta, "dgamma": dgamma, "dx_hat": dx_hat, "dinv_std": dinv_std, "dstd": dstd,
            "dvar": dvar, "dsq": dsq, "dxmu": dxmu, "dmean": dmean, "dX": dX}
'''),
    dict(exercise="batchnorm_backward_staged", kind="wrong", slip="Leaves the path through the mean out of dX (dX = dxmu).", code='''
def batchnorm_backward_staged(dout, gamma, fwd):
    N = dout.shape[0]
    xmu, std, inv_std, x_hat = fwd["xmu"], fwd["std"], fwd["inv_std"], fwd["x_hat"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dinv_std = (dx_hat * xmu).sum(axis=0)
    dstd = -dinv_std / std ** 2
    dvar = dstd / (2 * std)
    dsq = np.ones_like(xmu) * dvar / N
    dxmu = dx_hat * inv_std + 2 * xmu * dsq
    dmean = -dxmu.sum(axis=0)
    dX = dxmu
    return {"dbeta": dbeta, "dgamma": dgamma, "dx_hat": dx_hat, "dinv_std": dinv_std, "dstd": dstd,
            "dvar": dvar, "dsq": dsq, "dxmu": dxmu, "dmean": dmean, "dX": dX}
'''),

    dict(exercise="batchnorm_backward_simplified", kind="correct", slip="", code='''
def batchnorm_backward_simplified(dout, gamma, fwd):
    """Batch normalisation's backward pass in closed form."""
    N = dout.shape[0]
    x_hat, inv_std = fwd["x_hat"], fwd["inv_std"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dX = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
    return {"dbeta": dbeta, "dgamma": dgamma, "dX": dX}
'''),
    dict(exercise="batchnorm_backward_simplified", kind="wrong", slip="Leaves gamma out of the factor in front of dX.", code='''
def batchnorm_backward_simplified(dout, gamma, fwd):
    N = dout.shape[0]
    x_hat, inv_std = fwd["x_hat"], fwd["inv_std"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dX = (inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
    return {"dbeta": dbeta, "dgamma": dgamma, "dX": dX}
'''),
    dict(exercise="batchnorm_backward_simplified", kind="wrong", slip="Forgets to divide by N in front of the bracket.", code='''
def batchnorm_backward_simplified(dout, gamma, fwd):
    N = dout.shape[0]
    x_hat, inv_std = fwd["x_hat"], fwd["inv_std"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dX = gamma * inv_std * (N * dout - dbeta - x_hat * dgamma)
    return {"dbeta": dbeta, "dgamma": dgamma, "dX": dX}
'''),
    dict(exercise="batchnorm_backward_simplified", kind="wrong", slip="Adds the x_hat * dgamma term instead of subtracting it.", code='''
def batchnorm_backward_simplified(dout, gamma, fwd):
    N = dout.shape[0]
    x_hat, inv_std = fwd["x_hat"], fwd["inv_std"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dX = (gamma * inv_std / N) * (N * dout - dbeta + x_hat * dgamma)
    return {"dbeta": dbeta, "dgamma": dgamma, "dX": dX}
'''),
    dict(exercise="batchnorm_backward_simplified", kind="wrong", slip="Averages dbeta and dgamma over the batch instead of summing them.", code='''
def batchnorm_backward_simplified(dout, gamma, fwd):
    N = dout.shape[0]
    x_hat, inv_std = fwd["x_hat"], fwd["inv_std"]
    dbeta = dout.mean(axis=0)
    dgamma = (dout * x_hat).mean(axis=0)
    dX = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
    return {"dbeta": dbeta, "dgamma": dgamma, "dX": dX}
'''),
]
