"""Answers to lesson 09's exercises, written from the lesson text alone: one correct answer per exercise and the slips learners make."""

ANSWERS = [
    dict(exercise="value_add", kind="correct", slip="", code='''
def value_add(a, b):
    """a + b as a new node."""
    if not isinstance(b, Value):
        b = Value(b)
    out = Value(a.data + b.data, (a, b), "+")

    def backward_step():
        a.grad += 1.0 * out.grad
        b.grad += 1.0 * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_add", kind="wrong", slip="Assigns the gradients with = instead of adding with +=, so a node used twice loses a path.", code='''
def value_add(a, b):
    if not isinstance(b, Value):
        b = Value(b)
    out = Value(a.data + b.data, (a, b), "+")

    def backward_step():
        a.grad = out.grad
        b.grad = out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_add", kind="wrong", slip="Adds 1 to each input's gradient and forgets to multiply by out.grad.", code='''
def value_add(a, b):
    if not isinstance(b, Value):
        b = Value(b)
    out = Value(a.data + b.data, (a, b), "+")

    def backward_step():
        a.grad += 1.0
        b.grad += 1.0
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_add", kind="wrong", slip="Does not wrap a plain number b in a node, so a + 2 fails on b.data.", code='''
def value_add(a, b):
    out = Value(a.data + b.data, (a, b), "+")

    def backward_step():
        a.grad += out.grad
        b.grad += out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_add", kind="wrong", slip="Calls the closure when attaching it (out.backward_step = backward_step()) instead of storing the function.", code='''
def value_add(a, b):
    if not isinstance(b, Value):
        b = Value(b)
    out = Value(a.data + b.data, (a, b), "+")

    def backward_step():
        a.grad += out.grad
        b.grad += out.grad
    out.backward_step = backward_step()
    return out
'''),

    dict(exercise="value_mul", kind="correct", slip="", code='''
def value_mul(a, b):
    """a * b as a new node."""
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_mul", kind="wrong", slip="Gives each input its own value as local gradient instead of the other input's.", code='''
def value_mul(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad += a.data * out.grad
        b.grad += b.data * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_mul", kind="wrong", slip="Uses = instead of +=, so a * a gets a instead of 2a and earlier gradients are overwritten.", code='''
def value_mul(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad = b.data * out.grad
        b.grad = a.data * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_mul", kind="wrong", slip="Uses the output's value as the local gradient for both inputs.", code='''
def value_mul(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad += out.data * out.grad
        b.grad += out.data * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_mul", kind="wrong", slip="Forgets to multiply the local gradients by out.grad.", code='''
def value_mul(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad += b.data
        b.grad += a.data
    out.backward_step = backward_step
    return out
'''),

    dict(exercise="value_pow", kind="correct", slip="", code='''
def value_pow(a, k):
    """a ** k as a new node, for a node a and a plain number k."""
    out = Value(a.data ** k, (a,), f"**{k}")

    def backward_step():
        a.grad += k * a.data ** (k - 1) * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_pow", kind="wrong", slip="Forgets to lower the exponent: uses k a^k as the local gradient.", code='''
def value_pow(a, k):
    out = Value(a.data ** k, (a,), f"**{k}")

    def backward_step():
        a.grad += k * a.data ** k * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_pow", kind="wrong", slip="Drops the factor k of the power rule.", code='''
def value_pow(a, k):
    out = Value(a.data ** k, (a,), f"**{k}")

    def backward_step():
        a.grad += a.data ** (k - 1) * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_pow", kind="wrong", slip="Makes the exponent a node and a second parent, although k is a plain number.", code='''
def value_pow(a, k):
    k_node = Value(k)
    out = Value(a.data ** k, (a, k_node), f"**{k}")

    def backward_step():
        a.grad += k * a.data ** (k - 1) * out.grad
    out.backward_step = backward_step
    return out
'''),

    dict(exercise="value_exp", kind="correct", slip="", code='''
def value_exp(a):
    """e ** a as a new node; its local gradient is the output's value."""
    out = Value(math.exp(a.data), (a,), "exp")

    def backward_step():
        a.grad += out.data * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_exp", kind="wrong", slip="Uses the input's value a as the local gradient instead of e^a.", code='''
def value_exp(a):
    out = Value(math.exp(a.data), (a,), "exp")

    def backward_step():
        a.grad += a.data * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_exp", kind="wrong", slip="Exponentiates the output again, computing exp(e^a) as the local gradient.", code='''
def value_exp(a):
    out = Value(math.exp(a.data), (a,), "exp")

    def backward_step():
        a.grad += math.exp(out.data) * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_exp", kind="wrong", slip="Overwrites a.grad with = instead of adding to it.", code='''
def value_exp(a):
    out = Value(math.exp(a.data), (a,), "exp")

    def backward_step():
        a.grad = out.data * out.grad
    out.backward_step = backward_step
    return out
'''),

    dict(exercise="value_log", kind="correct", slip="", code='''
def value_log(a):
    """The natural logarithm of a as a new node; local gradient 1/a."""
    out = Value(math.log(a.data), (a,), "log")

    def backward_step():
        a.grad += (1.0 / a.data) * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_log", kind="wrong", slip="Divides by the output log(a) instead of the input a.", code='''
def value_log(a):
    out = Value(math.log(a.data), (a,), "log")

    def backward_step():
        a.grad += out.grad / out.data
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_log", kind="wrong", slip="Forgets to multiply by out.grad.", code='''
def value_log(a):
    out = Value(math.log(a.data), (a,), "log")

    def backward_step():
        a.grad += 1.0 / a.data
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_log", kind="wrong", slip="Uses -1/a**2, the derivative of 1/a, as the local gradient.", code='''
def value_log(a):
    out = Value(math.log(a.data), (a,), "log")

    def backward_step():
        a.grad += -1.0 / a.data ** 2 * out.grad
    out.backward_step = backward_step
    return out
'''),

    dict(exercise="value_tanh", kind="correct", slip="", code='''
def value_tanh(a):
    """tanh(a) as a new node; local gradient 1 - t**2 from the output t."""
    t = math.tanh(a.data)
    out = Value(t, (a,), "tanh")

    def backward_step():
        a.grad += (1 - out.data ** 2) * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_tanh", kind="wrong", slip="Writes the local gradient with the input, 1 - a**2, instead of the output.", code='''
def value_tanh(a):
    out = Value(math.tanh(a.data), (a,), "tanh")

    def backward_step():
        a.grad += (1 - a.data ** 2) * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_tanh", kind="wrong", slip="Forgets to square the output: uses 1 - t.", code='''
def value_tanh(a):
    out = Value(math.tanh(a.data), (a,), "tanh")

    def backward_step():
        a.grad += (1 - out.data) * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_tanh", kind="wrong", slip="Forgets to multiply by out.grad.", code='''
def value_tanh(a):
    out = Value(math.tanh(a.data), (a,), "tanh")

    def backward_step():
        a.grad += 1 - out.data ** 2
    out.backward_step = backward_step
    return out
'''),

    dict(exercise="value_relu", kind="correct", slip="", code='''
def value_relu(a):
    """max(a, 0) as a new node; local gradient 1 where a > 0, else 0."""
    out = Value(max(a.data, 0.0), (a,), "relu")

    def backward_step():
        a.grad += (1.0 if a.data > 0 else 0.0) * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_relu", kind="wrong", slip="Uses the ReLU's output value as the local gradient instead of a 0/1 gate.", code='''
def value_relu(a):
    out = Value(max(a.data, 0.0), (a,), "relu")

    def backward_step():
        a.grad += out.data * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_relu", kind="wrong", slip="Lets the gradient through at a = 0 (a >= 0), against the course's convention.", code='''
def value_relu(a):
    out = Value(max(a.data, 0.0), (a,), "relu")

    def backward_step():
        a.grad += (1.0 if a.data >= 0 else 0.0) * out.grad
    out.backward_step = backward_step
    return out
'''),
    dict(exercise="value_relu", kind="wrong", slip="Gates on the sign of out.grad instead of the sign of the input.", code='''
def value_relu(a):
    out = Value(max(a.data, 0.0), (a,), "relu")

    def backward_step():
        a.grad += max(out.grad, 0.0)
    out.backward_step = backward_step
    return out
'''),

    dict(exercise="topological_order", kind="correct", slip="", code='''
def topological_order(root):
    """Every node of root's graph once, each after all of its parents (root last)."""
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order
'''),
    dict(exercise="topological_order", kind="wrong", slip="Keeps no set of visited nodes, so a node reached along two paths is listed twice.", code='''
def topological_order(root):
    order = []

    def visit(node):
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order
'''),
    dict(exercise="topological_order", kind="wrong", slip="Appends the node before visiting its parents, so children come before parents.", code='''
def topological_order(root):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        order.append(node)
        for parent in node.parents:
            visit(parent)

    visit(root)
    return order
'''),
    dict(exercise="topological_order", kind="wrong", slip="Returns the list reversed, with the root first, mixing it up with the backward pass's order.", code='''
def topological_order(root):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order[::-1]
'''),

    dict(exercise="backward", kind="correct", slip="", code='''
def backward(root):
    """Seed root.grad = 1, then call every backward_step in reverse topological order."""
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        node.backward_step()
'''),
    dict(exercise="backward", kind="wrong", slip="Forgets the seed root.grad = 1, so every gradient stays 0.", code='''
def backward(root):
    for node in reversed(topological_order(root)):
        node.backward_step()
'''),
    dict(exercise="backward", kind="wrong", slip="Calls the backward steps in topological order instead of reverse topological order.", code='''
def backward(root):
    root.grad = 1.0
    for node in topological_order(root):
        node.backward_step()
'''),
    dict(exercise="backward", kind="wrong", slip="Recurses from the root through the parents without a topological order, so a shared node passes its gradient on before it is complete, and more than once.", code='''
def backward(root):
    root.grad = 1.0

    def go(node):
        node.backward_step()
        for parent in node.parents:
            go(parent)

    go(root)
'''),

    dict(exercise="zero_grad", kind="correct", slip="", code='''
def zero_grad(nodes):
    """Set grad to 0 on every node of nodes."""
    for node in nodes:
        node.grad = 0.0
'''),
    dict(exercise="zero_grad", kind="wrong", slip="Sets each node's data to 0 instead of its grad.", code='''
def zero_grad(nodes):
    for node in nodes:
        node.data = 0.0
'''),
    dict(exercise="zero_grad", kind="wrong", slip="Returns inside the loop, so only the first node is zeroed.", code='''
def zero_grad(nodes):
    for node in nodes:
        node.grad = 0.0
        return
'''),
    dict(exercise="zero_grad", kind="wrong", slip="Replaces the list by fresh nodes, which leaves the caller's nodes untouched.", code='''
def zero_grad(nodes):
    nodes = [Value(node.data) for node in nodes]
'''),

    dict(exercise="value_neuron", kind="correct", slip="", code='''
def value_neuron(w, b, x, activation="tanh"):
    """One neuron: act(sum over d of w[d] * x[d] + b)."""
    z = b
    for w_d, x_d in zip(w, x):
        z = z + w_d * x_d
    if activation == "tanh":
        out = z.tanh()
    elif activation == "relu":
        out = z.relu()
    else:
        out = z
    return out
'''),
    dict(exercise="value_neuron", kind="wrong", slip="Always applies tanh, ignoring the activation argument.", code='''
def value_neuron(w, b, x, activation="tanh"):
    z = sum(w[d] * x[d] for d in range(len(x))) + b
    out = z.tanh()
    return out
'''),
    dict(exercise="value_neuron", kind="wrong", slip="Adds the bias after the activation instead of before it.", code='''
def value_neuron(w, b, x, activation="tanh"):
    z = sum(w[d] * x[d] for d in range(len(x)))
    if activation == "tanh":
        out = z.tanh() + b
    elif activation == "relu":
        out = z.relu() + b
    else:
        out = z + b
    return out
'''),
    dict(exercise="value_neuron", kind="wrong", slip="Treats every activation other than tanh as ReLU, so linear output neurons are clipped.", code='''
def value_neuron(w, b, x, activation="tanh"):
    z = sum(w[d] * x[d] for d in range(len(x))) + b
    if activation == "tanh":
        out = z.tanh()
    else:
        out = z.relu()
    return out
'''),

    dict(exercise="value_layer", kind="correct", slip="", code='''
def value_layer(W, b, x, activation="tanh"):
    """A layer out = act(x @ W + b) made of neurons; unit h uses W[:, h] and b[h]."""
    H = W.shape[1]
    outputs = [value_neuron(W[:, h], b[h], x, activation) for h in range(H)]
    return outputs
'''),
    dict(exercise="value_layer", kind="wrong", slip="Gives unit h the row W[h] instead of the column W[:, h].", code='''
def value_layer(W, b, x, activation="tanh"):
    outputs = [value_neuron(W[h], b[h], x, activation) for h in range(len(b))]
    return outputs
'''),
    dict(exercise="value_layer", kind="wrong", slip="Does not pass the activation on, so every layer uses the default tanh.", code='''
def value_layer(W, b, x, activation="tanh"):
    outputs = [value_neuron(W[:, h], b[h], x) for h in range(W.shape[1])]
    return outputs
'''),
    dict(exercise="value_layer", kind="wrong", slip="Makes one unit per input (range(len(x))) instead of one per column of W.", code='''
def value_layer(W, b, x, activation="tanh"):
    outputs = [value_neuron(W[:, h], b[h], x, activation) for h in range(len(x))]
    return outputs
'''),

    dict(exercise="value_mlp", kind="correct", slip="", code='''
def value_mlp(params, x, activation="tanh"):
    """The scores of one example x in the MLP with parameters params."""
    L = len(params) // 2
    h = list(x)
    for l in range(1, L + 1):
        act = activation if l < L else "linear"
        h = value_layer(params[f"W{l}"], params[f"b{l}"], h, act)
    scores = h
    return scores
'''),
    dict(exercise="value_mlp", kind="wrong", slip="Applies the activation on the last layer too, so the scores are squashed.", code='''
def value_mlp(params, x, activation="tanh"):
    L = len(params) // 2
    h = list(x)
    for l in range(1, L + 1):
        h = value_layer(params[f"W{l}"], params[f"b{l}"], h, activation)
    scores = h
    return scores
'''),
    dict(exercise="value_mlp", kind="wrong", slip="Feeds x to every layer instead of the previous layer's output.", code='''
def value_mlp(params, x, activation="tanh"):
    L = len(params) // 2
    for l in range(1, L + 1):
        act = activation if l < L else "linear"
        h = value_layer(params[f"W{l}"], params[f"b{l}"], x, act)
    scores = h
    return scores
'''),
    dict(exercise="value_mlp", kind="wrong", slip="Passes no activation to the hidden layers, so a ReLU network is computed with tanh.", code='''
def value_mlp(params, x, activation="tanh"):
    L = len(params) // 2
    h = list(x)
    for l in range(1, L):
        h = value_layer(params[f"W{l}"], params[f"b{l}"], h)
    scores = value_layer(params[f"W{L}"], params[f"b{L}"], h, "linear")
    return scores
'''),

    dict(exercise="value_train_step", kind="correct", slip="", code='''
def value_train_step(params, X, Y, lr, activation="tanh"):
    """One gradient-descent step on the mean squared error of value_mlp."""
    nodes = [p for array in params.values() for p in array.flat]
    zero_grad(nodes)
    loss = sum((s - t) ** 2 for x_n, y_n in zip(X, Y)
               for s, t in zip(value_mlp(params, x_n, activation), y_n)) / len(X)
    loss.backward()
    for p in nodes:
        p.data -= lr * p.grad
    return loss.data
'''),
    dict(exercise="value_train_step", kind="wrong", slip="Forgets to zero the gradients, so each step uses the sum of all gradients so far.", code='''
def value_train_step(params, X, Y, lr, activation="tanh"):
    nodes = [p for array in params.values() for p in array.flat]
    loss = sum((s - t) ** 2 for x_n, y_n in zip(X, Y)
               for s, t in zip(value_mlp(params, x_n, activation), y_n)) / len(X)
    loss.backward()
    for p in nodes:
        p.data -= lr * p.grad
    return loss.data
'''),
    dict(exercise="value_train_step", kind="wrong", slip="Sums the squared errors without dividing by N.", code='''
def value_train_step(params, X, Y, lr, activation="tanh"):
    nodes = [p for array in params.values() for p in array.flat]
    zero_grad(nodes)
    loss = sum((s - t) ** 2 for x_n, y_n in zip(X, Y)
               for s, t in zip(value_mlp(params, x_n, activation), y_n))
    loss.backward()
    for p in nodes:
        p.data -= lr * p.grad
    return loss.data
'''),
    dict(exercise="value_train_step", kind="wrong", slip="Adds lr times the gradient to the data, stepping uphill.", code='''
def value_train_step(params, X, Y, lr, activation="tanh"):
    nodes = [p for array in params.values() for p in array.flat]
    zero_grad(nodes)
    loss = sum((s - t) ** 2 for x_n, y_n in zip(X, Y)
               for s, t in zip(value_mlp(params, x_n, activation), y_n)) / len(X)
    loss.backward()
    for p in nodes:
        p.data += lr * p.grad
    return loss.data
'''),
    dict(exercise="value_train_step", kind="wrong", slip="Zeroes the gradients after the backward pass but before the update, so the parameters never move.", code='''
def value_train_step(params, X, Y, lr, activation="tanh"):
    nodes = [p for array in params.values() for p in array.flat]
    loss = sum((s - t) ** 2 for x_n, y_n in zip(X, Y)
               for s, t in zip(value_mlp(params, x_n, activation), y_n)) / len(X)
    loss.backward()
    zero_grad(nodes)
    for p in nodes:
        p.data -= lr * p.grad
    return loss.data
'''),
]
