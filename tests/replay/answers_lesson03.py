"""Answers to lesson 03's exercises, written from the lesson text alone: one correct answer per exercise and the slips learners make."""

ANSWERS = [
    dict(exercise="forward_difference", kind="correct", slip="", code='''
def forward_difference(f, x, h):
    """Forward-difference estimate of f'(x): (f(x + h) - f(x)) / h."""
    slope = (f(x + h) - f(x)) / h
    return slope
'''),
    dict(exercise="forward_difference", kind="wrong", slip="Divides by 2h as in the central difference.", code='''
def forward_difference(f, x, h):
    slope = (f(x + h) - f(x)) / (2 * h)
    return slope
'''),
    dict(exercise="forward_difference", kind="wrong", slip="Subtracts in the wrong order, giving the slope with the opposite sign.", code='''
def forward_difference(f, x, h):
    slope = (f(x) - f(x + h)) / h
    return slope
'''),
    dict(exercise="forward_difference", kind="wrong", slip="Steps to both sides but divides by h only, mixing forward and central differences.", code='''
def forward_difference(f, x, h):
    slope = (f(x + h) - f(x - h)) / h
    return slope
'''),
    dict(exercise="central_difference", kind="correct", slip="", code='''
def central_difference(f, x, h):
    """Central-difference estimate of f'(x): (f(x + h) - f(x - h)) / (2 h)."""
    slope = (f(x + h) - f(x - h)) / (2 * h)
    return slope
'''),
    dict(exercise="central_difference", kind="wrong", slip="Divides by h instead of 2h, so the slope is twice too large.", code='''
def central_difference(f, x, h):
    slope = (f(x + h) - f(x - h)) / h
    return slope
'''),
    dict(exercise="central_difference", kind="wrong", slip="Writes / 2 * h without parentheses, which multiplies by h instead of dividing.", code='''
def central_difference(f, x, h):
    slope = (f(x + h) - f(x - h)) / 2 * h
    return slope
'''),
    dict(exercise="central_difference", kind="wrong", slip="Uses f(x) instead of f(x - h) while keeping the 2h denominator.", code='''
def central_difference(f, x, h):
    slope = (f(x + h) - f(x)) / (2 * h)
    return slope
'''),
    dict(exercise="rel_error", kind="correct", slip="", code='''
def rel_error(a, b):
    """Worst elementwise relative error: max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    worst = float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
    return worst
'''),
    dict(exercise="rel_error", kind="correct-loops", slip="", code='''
def rel_error(a, b):
    """Relative error, element by element in a Python loop."""
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    worst = 0.0
    for ai, bi in zip(a, b):
        err = abs(ai - bi) / max(1e-8, abs(ai) + abs(bi))
        if err > worst:
            worst = err
    return worst
'''),
    dict(exercise="rel_error", kind="wrong", slip="Leaves out the 1e-8 guard, so two exact zeros give 0/0 = nan.", code='''
def rel_error(a, b):
    worst = np.max(np.abs(a - b) / (np.abs(a) + np.abs(b)))
    return worst
'''),
    dict(exercise="rel_error", kind="wrong", slip="Averages the elementwise errors instead of taking the worst one.", code='''
def rel_error(a, b):
    worst = np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))
    return worst
'''),
    dict(exercise="rel_error", kind="wrong", slip="Divides by |a + b| instead of |a| + |b|, which blows up when the signs are opposite.", code='''
def rel_error(a, b):
    worst = np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b)))
    return worst
'''),
    dict(exercise="rel_error", kind="wrong", slip="Uses Python's max for the guard, which fails on arrays.", code='''
def rel_error(a, b):
    worst = np.max(np.abs(a - b) / max(1e-8, np.abs(a) + np.abs(b)))
    return worst
'''),

    dict(exercise="neuron_loss_gradient", kind="correct", slip="", code='''
def neuron_loss_gradient(w, b, x, y):
    """Gradient of L = (sigmoid(w * x + b) - y)**2 with respect to w and b."""
    z = w * x + b
    s = 1 / (1 + np.exp(-z))
    dL_ds = 2 * (s - y)
    dL_dz = dL_ds * s * (1 - s)
    dL_dw = dL_dz * x
    dL_db = dL_dz * 1.0
    return dL_dw, dL_db
'''),
    dict(exercise="neuron_loss_gradient", kind="wrong", slip="Forgets the factor 2 of the square's derivative.", code='''
def neuron_loss_gradient(w, b, x, y):
    z = w * x + b
    s = 1 / (1 + np.exp(-z))
    dL_dz = (s - y) * s * (1 - s)
    dL_dw = dL_dz * x
    dL_db = dL_dz
    return dL_dw, dL_db
'''),
    dict(exercise="neuron_loss_gradient", kind="wrong", slip="Writes the sigmoid's derivative with the input z instead of the output s.", code='''
def neuron_loss_gradient(w, b, x, y):
    z = w * x + b
    s = 1 / (1 + np.exp(-z))
    dL_dz = 2 * (s - y) * z * (1 - z)
    dL_dw = dL_dz * x
    dL_db = dL_dz
    return dL_dw, dL_db
'''),
    dict(exercise="neuron_loss_gradient", kind="wrong", slip="Multiplies the bias gradient by x as well, as if dz/db were x.", code='''
def neuron_loss_gradient(w, b, x, y):
    z = w * x + b
    s = 1 / (1 + np.exp(-z))
    dL_dz = 2 * (s - y) * s * (1 - s)
    dL_dw = dL_dz * x
    dL_db = dL_dz * x
    return dL_dw, dL_db
'''),
    dict(exercise="neuron_loss_gradient", kind="wrong", slip="Writes the error as (y - s), flipping the sign of both derivatives.", code='''
def neuron_loss_gradient(w, b, x, y):
    z = w * x + b
    s = 1 / (1 + np.exp(-z))
    dL_dz = 2 * (y - s) * s * (1 - s)
    dL_dw = dL_dz * x
    dL_db = dL_dz
    return dL_dw, dL_db
'''),

    dict(exercise="numerical_gradient", kind="correct", slip="", code='''
def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of a scalar function of an array, one element at a time."""
    grad = np.zeros_like(x, dtype=float)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
'''),
    dict(exercise="numerical_gradient", kind="wrong", slip="Forgets to restore the element after perturbing it, so x is left changed.", code='''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
'''),
    dict(exercise="numerical_gradient", kind="wrong", slip="Perturbs a copy of x, which a function that reads x through a closure never sees.", code='''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for idx in np.ndindex(x.shape):
        x_plus = x.copy()
        x_plus[idx] += h
        x_minus = x.copy()
        x_minus[idx] -= h
        grad[idx] = (f(x_plus) - f(x_minus)) / (2 * h)
    return grad
'''),
    dict(exercise="numerical_gradient", kind="wrong", slip="Divides by h instead of 2h.", code='''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / h
    return grad
'''),
    dict(exercise="numerical_gradient", kind="wrong", slip="Loops over range(len(x)), which only visits the rows of a 2-D array.", code='''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for i in range(len(x)):
        old = x[i].copy()
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
'''),
]
