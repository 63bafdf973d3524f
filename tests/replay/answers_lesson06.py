"""Answers to lesson 06's exercises, written from the lesson text alone: one correct answer per exercise and the slips learners make."""

ANSWERS = [
    dict(exercise="sgd_step", kind="correct", slip="", code='''
def sgd_step(params, grads, lr):
    """One step of gradient descent on every parameter, in place."""
    for name in params:
        params[name] -= lr * grads[name]
'''),
    dict(exercise="sgd_step", kind="wrong", slip="Adds the gradient instead of subtracting it, so the step goes uphill.", code='''
def sgd_step(params, grads, lr):
    for name in params:
        params[name] += lr * grads[name]
'''),
    dict(exercise="sgd_step", kind="wrong", slip="Rebinds the loop variable p = p - lr * grad, which never changes the arrays in the dict.", code='''
def sgd_step(params, grads, lr):
    for name, p in params.items():
        p = p - lr * grads[name]
'''),
    dict(exercise="sgd_step", kind="wrong", slip="Updates only the weights and leaves the biases unchanged.", code='''
def sgd_step(params, grads, lr):
    for name in params:
        if name.startswith("W"):
            params[name] -= lr * grads[name]
'''),
    dict(exercise="sgd_step", kind="wrong", slip="Forgets the learning rate and subtracts the whole gradient.", code='''
def sgd_step(params, grads, lr):
    for name in params:
        params[name] -= grads[name]
'''),

    dict(exercise="gradient_descent", kind="correct", slip="", code='''
def gradient_descent(grad_fn, theta0, lr, steps):
    """Run `steps` steps of gradient descent from theta0 and return the path."""
    theta = np.array(theta0, dtype=float)
    path = [theta.copy()]
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
        path.append(theta)
    return np.array(path)
'''),
    dict(exercise="gradient_descent", kind="wrong", slip="Updates theta in place and appends the same array each time, so every row of the path is the last point and theta0 is changed.", code='''
def gradient_descent(grad_fn, theta0, lr, steps):
    theta = theta0
    path = [theta]
    for _ in range(steps):
        theta -= lr * grad_fn(theta)
        path.append(theta)
    return np.array(path)
'''),
    dict(exercise="gradient_descent", kind="wrong", slip="Starts the path empty and appends only after each step, so theta0 is missing and there are steps rows instead of steps + 1.", code='''
def gradient_descent(grad_fn, theta0, lr, steps):
    theta = theta0.copy()
    path = []
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
        path.append(theta)
    return np.array(path)
'''),
    dict(exercise="gradient_descent", kind="wrong", slip="Copies theta0 but then updates the copy in place, so all rows after the first are the same array.", code='''
def gradient_descent(grad_fn, theta0, lr, steps):
    theta = theta0.copy()
    path = [theta0.copy()]
    for _ in range(steps):
        theta -= lr * grad_fn(theta)
        path.append(theta)
    return np.array(path)
'''),
    dict(exercise="gradient_descent", kind="wrong", slip="Adds lr times the gradient, climbing instead of descending.", code='''
def gradient_descent(grad_fn, theta0, lr, steps):
    theta = theta0.copy()
    path = [theta.copy()]
    for _ in range(steps):
        theta = theta + lr * grad_fn(theta)
        path.append(theta)
    return np.array(path)
'''),

    dict(exercise="momentum_step", kind="correct", slip="", code='''
def momentum_step(params, grads, velocity, lr, mu):
    """One step of gradient descent with momentum, in place."""
    for name in params:
        velocity[name] = mu * velocity[name] - lr * grads[name]
        params[name] += velocity[name]
'''),
    dict(exercise="momentum_step", kind="wrong", slip="Computes the new velocity in a local variable and never stores it in the velocity dict, so each step is plain SGD.", code='''
def momentum_step(params, grads, velocity, lr, mu):
    for name in params:
        v = mu * velocity[name] - lr * grads[name]
        params[name] += v
'''),
    dict(exercise="momentum_step", kind="wrong", slip="Moves the parameters with the old velocity before updating the velocity.", code='''
def momentum_step(params, grads, velocity, lr, mu):
    for name in params:
        params[name] += velocity[name]
        velocity[name] = mu * velocity[name] - lr * grads[name]
'''),
    dict(exercise="momentum_step", kind="wrong", slip="Adds the gradient into the velocity (mu v + lr g) while still adding the velocity to the parameters.", code='''
def momentum_step(params, grads, velocity, lr, mu):
    for name in params:
        velocity[name] = mu * velocity[name] + lr * grads[name]
        params[name] += velocity[name]
'''),
    dict(exercise="momentum_step", kind="wrong", slip="Scales the gradient by (1 - mu) as in an exponential average, instead of by the learning rate alone.", code='''
def momentum_step(params, grads, velocity, lr, mu):
    for name in params:
        velocity[name] = mu * velocity[name] - (1 - mu) * lr * grads[name]
        params[name] += velocity[name]
'''),

    dict(exercise="adam_step", kind="correct", slip="", code='''
def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step for every parameter, in place."""
    state["t"] += 1
    t = state["t"]
    for name in params:
        g = grads[name]
        state["m"][name] = beta1 * state["m"][name] + (1 - beta1) * g
        state["s"][name] = beta2 * state["s"][name] + (1 - beta2) * g ** 2
        m_hat = state["m"][name] / (1 - beta1 ** t)
        s_hat = state["s"][name] / (1 - beta2 ** t)
        params[name] -= lr * m_hat / (np.sqrt(s_hat) + eps)
'''),
    dict(exercise="adam_step", kind="wrong", slip="Increments the step counter once per parameter inside the loop instead of once per call.", code='''
def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    for name in params:
        state["t"] += 1
        t = state["t"]
        g = grads[name]
        state["m"][name] = beta1 * state["m"][name] + (1 - beta1) * g
        state["s"][name] = beta2 * state["s"][name] + (1 - beta2) * g ** 2
        m_hat = state["m"][name] / (1 - beta1 ** t)
        s_hat = state["s"][name] / (1 - beta2 ** t)
        params[name] -= lr * m_hat / (np.sqrt(s_hat) + eps)
'''),
    dict(exercise="adam_step", kind="wrong", slip="Leaves out the bias correction and steps with the raw averages m and s.", code='''
def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] += 1
    for name in params:
        g = grads[name]
        state["m"][name] = beta1 * state["m"][name] + (1 - beta1) * g
        state["s"][name] = beta2 * state["s"][name] + (1 - beta2) * g ** 2
        params[name] -= lr * state["m"][name] / (np.sqrt(state["s"][name]) + eps)
'''),
    dict(exercise="adam_step", kind="wrong", slip="Puts epsilon inside the square root instead of adding it after.", code='''
def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] += 1
    t = state["t"]
    for name in params:
        g = grads[name]
        state["m"][name] = beta1 * state["m"][name] + (1 - beta1) * g
        state["s"][name] = beta2 * state["s"][name] + (1 - beta2) * g ** 2
        m_hat = state["m"][name] / (1 - beta1 ** t)
        s_hat = state["s"][name] / (1 - beta2 ** t)
        params[name] -= lr * m_hat / np.sqrt(s_hat + eps)
'''),
    dict(exercise="adam_step", kind="wrong", slip="Forgets to square the gradient in the second moment.", code='''
def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] += 1
    t = state["t"]
    for name in params:
        g = grads[name]
        state["m"][name] = beta1 * state["m"][name] + (1 - beta1) * g
        state["s"][name] = beta2 * state["s"][name] + (1 - beta2) * np.abs(g)
        m_hat = state["m"][name] / (1 - beta1 ** t)
        s_hat = state["s"][name] / (1 - beta2 ** t)
        params[name] -= lr * m_hat / (np.sqrt(s_hat) + eps)
'''),
]
