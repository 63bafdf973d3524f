"""Reference use is seen: a function that reaches the course's own answer (or the package function
that computes the same thing) is "not yours", in the notebook's check and in ``grade``, whichever way
it got there; what a lesson hands over on purpose stays allowed.

The ways, each tried on lesson 04's ``linear_backward`` (the instructor's example): a direct import,
an alias made in an earlier cell, attribute access on the package, ``getattr``, ``importlib``,
``__import__``, ``sys.modules``, a copied function object (``types.FunctionType(ref.__code__, ...)``),
and beyond those a code object copied with another file name, the reference's source run again, the
checks' copy, ``functools.partial``, ``map``, a thread, and switching the watch off.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import io
import json
import shutil
import sys
import threading
import types
from pathlib import Path

import numpy as np
import pytest

import backprop_helpers
from backprop_helpers import layers, reference
from backprop_helpers.checks import EXERCISES, Case, Exercise
from backprop_helpers.checks.lesson04_backward_pass import LINEAR_BACKWARD, check_linear_backward
from backprop_helpers.grading import runner as grading
from backprop_helpers.grading.watch import Policy, Watch, describe

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"
ALIAS = reference.linear_backward          # "an alias made in an earlier cell"


def own(dout, X, W):
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


# --------------------------------------------------------------------------- every way, in the check

def via_import(dout, X, W):
    from backprop_helpers.layers import linear_backward as ref, LinearCache
    dX, dW, db = ref(dout, LinearCache(X, W))
    return dX, dW, db


def via_alias(dout, X, W):
    return ALIAS(dout, X, W)


def via_attribute(dout, X, W):
    return backprop_helpers.reference.linear_backward(dout, X, W)


def via_getattr(dout, X, W):
    return getattr(backprop_helpers.reference, "linear" + "_backward")(dout, X, W)


def via_importlib(dout, X, W):
    return importlib.import_module("backprop_helpers.reference").linear_backward(dout, X, W)


def via_dunder_import(dout, X, W):
    module = __import__("backprop_helpers.layers", fromlist=["linear_backward"])
    return module.linear_backward(dout, module.LinearCache(X, W))


def via_sys_modules(dout, X, W):
    return sys.modules["backprop_helpers.reference"].linear_backward(dout, X, W)


def via_copied_function(dout, X, W):
    ref = reference.linear_backward
    copy = types.FunctionType(ref.__code__, ref.__globals__, "mine")
    return copy(dout, X, W)


def via_renamed_code(dout, X, W):
    code = reference.linear_backward.__code__.replace(co_filename="<my own cell>", co_name="mine")
    return types.FunctionType(code, {"np": np})(dout, X, W)


def via_source_run_again(dout, X, W):
    namespace = {"np": np}
    exec(inspect.getsource(reference.lesson04_backward_pass.linear_backward), namespace)
    return namespace["linear_backward"](dout, X, W)


def via_checks_copy(dout, X, W):
    return EXERCISES["linear_backward"].reference(dout, X, W)


def via_map(dout, X, W):
    return next(map(reference.linear_backward, [dout], [X], [W]))


def via_thread(dout, X, W):
    box = []
    worker = threading.Thread(target=lambda: box.append(reference.linear_backward(dout, X, W)))
    worker.start()
    worker.join()
    return box[0]


def via_switching_the_watch_off(dout, X, W):
    sys.setprofile(None)
    return reference.linear_backward(dout, X, W)


WAYS = {
    "import": (via_import, "backprop_helpers.layers.linear_backward"),
    "alias from an earlier cell": (via_alias, "backprop_helpers.reference.linear_backward"),
    "attribute of the package": (via_attribute, "backprop_helpers.reference.linear_backward"),
    "getattr": (via_getattr, "backprop_helpers.reference.linear_backward"),
    "importlib": (via_importlib, "backprop_helpers.reference.linear_backward"),
    "__import__": (via_dunder_import, "backprop_helpers.layers.linear_backward"),
    "sys.modules": (via_sys_modules, "backprop_helpers.reference.linear_backward"),
    "copied function object": (via_copied_function, "backprop_helpers.reference.linear_backward"),
    "code object renamed": (via_renamed_code, "a copy of the course's own answer"),
    "source run again": (via_source_run_again, "a copy of the course's own answer"),
    "the checks' copy": (via_checks_copy, "backprop_helpers.reference.linear_backward"),
    "map": (via_map, "backprop_helpers.reference.linear_backward"),
    "a thread": (via_thread, "backprop_helpers.reference.linear_backward"),
    "watch switched off": (via_switching_the_watch_off, "switched off the check's watch"),
}


@pytest.mark.parametrize("way", sorted(WAYS))
def test_every_way_to_the_answer_is_not_yours(way):
    fn, named = WAYS[way]
    result = LINEAR_BACKWARD.run(fn)
    assert result.status == "not yours", result.message
    assert not result.passed and result.message.startswith("✘ linear_backward: write it yourself:")
    assert named in result.message
    assert result.used


def test_the_own_answer_and_the_reference_itself_still_pass():
    assert LINEAR_BACKWARD.run(own).passed
    assert LINEAR_BACKWARD.run(LINEAR_BACKWARD.reference).passed        # the course's own code
    assert sys.getprofile() is None and threading.getprofile() is None   # the watch cleaned up


def test_a_partial_or_the_package_function_itself_as_the_answer_is_not_yours():
    for fn in (functools.partial(reference.linear_backward), lambda *a: reference.linear_backward(*a)):
        assert LINEAR_BACKWARD.run(fn).status == "not yours"
    result = EXERCISES["relu"].run(layers.relu_forward)        # the package's function, bound as is
    assert result.status == "not yours" and "backprop_helpers.layers.relu_forward" in result.message


def test_the_notebook_check_says_write_it_yourself_and_names_the_function(capsys):
    assert check_linear_backward(via_import) is LINEAR_BACKWARD.reference
    out = capsys.readouterr().out
    assert out.startswith("✘ linear_backward: write it yourself: linear_backward calls "
                          "backprop_helpers.layers.linear_backward, the package's function that computes "
                          "the same thing.")
    assert "✔" not in out and "Carrying on with the reference linear_backward" in out
    assert check_linear_backward(own) is own
    assert capsys.readouterr().out.startswith("✔ linear_backward")


def test_a_package_function_not_handed_over_is_named_with_what_is():
    def relu(x):
        out, _ = layers.leaky_relu_forward(x, 0.0)
        return out
    result = EXERCISES["relu"].run(relu)
    assert result.status == "not yours"
    assert "backprop_helpers.layers.leaky_relu_forward, which this exercise does not hand over" in result.message
    assert "Of the package, it may use nothing" in result.message


# --------------------------------------------------------------------------- allowed on purpose

def test_what_a_lesson_hands_over_stays_allowed():
    acts = {"relu": layers.relu_forward, "sigmoid": layers.sigmoid_forward, "tanh": layers.tanh_forward}
    backs = {"relu": layers.relu_backward, "sigmoid": layers.sigmoid_backward, "tanh": layers.tanh_backward}

    def mlp_forward(X, params, activation):               # lesson 05 chains the library's pairs
        L, h, caches = len(params) // 2, X, []
        for l in range(1, L + 1):
            h, lin = layers.linear_forward(h, params[f"W{l}"], params[f"b{l}"])
            if l < L:
                h, act = acts[activation](h)
                caches.append((lin, act, backs[activation]))
            else:
                caches.append((lin, None, None))
        return h, caches

    def loss_and_grads(X, y, params, activation="relu"):  # with the references handed back
        scores, caches = reference.mlp_forward(X, params, activation)
        loss, dscores = backprop_helpers.softmax_cross_entropy(scores, y)
        return loss, reference.mlp_backward(dscores, caches, params)

    def tanh(x):                                          # "use your sigmoid", here the handed-back one
        return 2 * reference.sigmoid(2 * x) - 1

    def train_epoch(model, batches, optimizer):           # the model's and optimizer's methods
        total, count = 0.0, 0
        for X_batch, y_batch in batches:
            total += model.loss(X_batch, y_batch) * len(X_batch)
            model.backward()
            optimizer.step(model.params, model.grads)
            count += len(X_batch)
        return total / count

    def fit(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
        history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
        for _ in range(epochs):
            batches = reference.iterate_minibatches(X_train, y_train, batch_size, rng)
            history["loss"].append(reference.train_epoch(model, batches, optimizer))
            history["train_accuracy"].append(reference.accuracy(model.forward(X_train), y_train))
            history["test_accuracy"].append(reference.accuracy(model.forward(X_test), y_test))
        return history

    def gradient_descent(grad_fn, theta0, lr, steps):    # calls the grad_fn the case hands over
        path = [np.array(theta0, dtype=float)]
        for _ in range(steps):
            path.append(path[-1] - lr * grad_fn(path[-1]))
        return np.array(path)

    for name, fn in [("mlp_forward", mlp_forward), ("loss_and_grads", loss_and_grads), ("tanh", tanh),
                     ("train_epoch", train_epoch), ("fit", fit), ("gradient_descent", gradient_descent)]:
        result = EXERCISES[name].run(fn)
        assert result.passed, result.message


def test_the_answer_returned_as_a_lazy_generator_is_still_seen():
    def iterate_minibatches(X, y, batch_size, rng):
        return backprop_helpers.minibatches(X, y, batch_size, rng=rng)
    result = EXERCISES["iterate_minibatches"].run(iterate_minibatches)
    assert result.status == "not yours" and "backprop_helpers.training.minibatches" in result.message


def test_an_exercise_declaring_nothing_is_watched_for_its_reference_only():
    def answer(x):
        return 2 * x

    def uses_the_package(x):
        return layers.relu_forward(x)[0] * 0 + 2 * x

    exercise = Exercise("double", answer, lambda: [Case("a vector", (np.arange(3.0),))])
    assert exercise.may_use is None
    assert exercise.run(uses_the_package).passed
    assert exercise.run(lambda x: answer(x)).status == "not yours"
    strict = Exercise("double", answer, lambda: [Case("a vector", (np.arange(3.0),))], may_use=())
    assert strict.run(uses_the_package).status == "not yours"


def test_describe_words_each_kind():
    text = describe("relu", [("answer", "backprop_helpers.reference.relu"),
                             ("package", "backprop_helpers.losses.mse_loss")], ("reference.sigmoid",))
    assert text.startswith("write it yourself: relu calls backprop_helpers.reference.relu, the course's "
                           "own answer to this exercise; backprop_helpers.losses.mse_loss, which this "
                           "exercise does not hand over.")
    assert "it may use your sigmoid (or the one its check handed back)" in text
    assert "switched off" in describe("relu", [("switched off", "sys.setprofile")])


def test_the_watch_costs_little():
    import time
    policy = Policy("linear_backward", reference.linear_backward, may_use=(), same_as=("layers.linear_backward",))
    cases = LINEAR_BACKWARD.case_list()
    start = time.perf_counter()
    for _ in range(50):
        LINEAR_BACKWARD.results(own, cases, watch=Watch(policy))
    watched = time.perf_counter() - start
    assert watched / 50 < 0.05           # milliseconds in fact; the bound leaves room for a busy machine


# --------------------------------------------------------------------------- in a real kernel

def test_the_check_in_a_notebook_sees_an_alias_made_in_an_earlier_cell(tmp_path):
    """The learner's kernel: an alias from one cell, used in the exercise cell, checked in the next."""
    from backprop_helpers.course.publish import execute
    nb = _answer(_lesson04(), "linear_backward", "dX, dW, db = lb(dout, X, W)")
    _after_setup(nb, "import backprop_helpers\nlb = getattr(backprop_helpers.reference, 'linear_backward')")
    nb["cells"] = nb["cells"][:next(i for i, c in enumerate(nb["cells"])
                                    if "check_linear_backward(linear_backward)" in "".join(c["source"])) + 1]
    path = tmp_path / "learner.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    executed, error = execute(path)
    assert error is None, error
    printed = "".join(out.get("text", "") for out in executed.cells[-1].outputs)
    assert printed.startswith("✘ linear_backward: write it yourself: linear_backward calls "
                              "backprop_helpers.reference.linear_backward, the course's own answer")


# --------------------------------------------------------------------------- and in grade

LESSON04 = ROOT / "lessons" / "04_backward_pass.ipynb"


def _lesson04() -> dict:
    return json.loads(LESSON04.read_text(encoding="utf-8"))


def _answer(nb: dict, gid: str, code: str) -> dict:
    cell = next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)
    source = "".join(cell["source"])
    assert PLACEHOLDER in source
    cell["source"] = source.replace(PLACEHOLDER, "\n".join("    " + line for line in code.splitlines()))
    return nb


def _after_setup(nb: dict, source: str) -> dict:
    first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    nb["cells"].insert(first + 1, {"cell_type": "code", "execution_count": None, "metadata": {},
                                   "outputs": [], "source": source})
    return nb


#: the ways in a learner's notebook: the exercise cell's body, and a cell added after the set-up
NOTEBOOK_WAYS = {
    "import": ("from backprop_helpers.layers import linear_backward as ref, LinearCache\n"
               "dX, dW, db = ref(dout, LinearCache(X, W))", None),
    "alias": ("dX, dW, db = lb(dout, X, W)", "from backprop_helpers.reference import linear_backward as lb"),
    "attribute": ("import backprop_helpers\ndX, dW, db = backprop_helpers.reference.linear_backward(dout, X, W)",
                  None),
    "getattr": ("import backprop_helpers as bp\ndX, dW, db = getattr(bp.reference, 'linear_' + 'backward')(dout, X, W)",
                None),
    "importlib": ("import importlib\nm = importlib.import_module('backprop_helpers.reference')\n"
                  "dX, dW, db = m.linear_backward(dout, X, W)", None),
    "dunder_import": ("m = __import__('backprop_helpers.layers', fromlist=['x'])\n"
                      "dX, dW, db = m.linear_backward(dout, m.LinearCache(X, W))", None),
    "sys_modules": ("import sys\ndX, dW, db = sys.modules['backprop_helpers.reference'].linear_backward(dout, X, W)",
                    None),
    "copied": ("import types\nimport backprop_helpers.reference as R\n"
               "f = types.FunctionType(R.linear_backward.__code__, R.linear_backward.__globals__, 'mine')\n"
               "dX, dW, db = f(dout, X, W)", None),
    "own": ("dX = dout @ W.T\ndW = X.T @ dout\ndb = dout.sum(axis=0)", None),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("refuse")
    for name, (body, earlier) in NOTEBOOK_WAYS.items():
        nb = _answer(_lesson04(), "linear_backward", body)
        if earlier:
            _after_setup(nb, earlier)
        (folder / f"{name}_04_backward_pass.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    shutil.copyfile(ROOT / "solutions" / "05_backprop_through_a_network.ipynb", folder / "allowed_05.ipynb")
    shutil.copyfile(ROOT / "solutions" / "07_training_loop.ipynb", folder / "allowed_07.ipynb")
    out = tmp_path_factory.mktemp("refuse-report") / "r.json"
    with contextlib.redirect_stdout(io.StringIO()) as text:
        status = grading.main([str(folder), "--json", str(out), "--solutions", str(ROOT / "solutions"),
                               "--jobs", "3", "--cell-timeout", "20"])
    assert status == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    return {Path(nb["notebook"]).name.split("_04_")[0]: nb for nb in report["notebooks"]}, text.getvalue()


@pytest.mark.parametrize("way", [w for w in NOTEBOOK_WAYS if w != "own"])
def test_grade_gives_no_point_for_each_way_and_says_why(graded, way):
    notebooks, _ = graded
    exercise = {e["grade_id"]: e for e in notebooks[way]["exercises"]}["linear_backward"]
    assert (exercise["status"], exercise["points"]) == ("not yours", 0), exercise["message"]
    assert exercise["message"].startswith("✘ linear_backward: write it yourself: linear_backward calls "
                                          "backprop_helpers.")
    assert exercise["used"] and exercise["hint"] == exercise["message"]


def test_grade_gives_the_point_to_the_learners_own_code(graded):
    notebooks, text = graded
    exercise = {e["grade_id"]: e for e in notebooks["own"]["exercises"]}["linear_backward"]
    assert exercise["status"] == "passed" and exercise["points"] == 1
    assert "not yours: write it yourself" in text and "not judged on its code: not yours 8 (" in text


@pytest.mark.parametrize("name", ["allowed_05.ipynb", "allowed_07.ipynb"])
def test_grade_allows_what_lessons_hand_over(graded, name):
    notebooks, _ = graded
    nb = notebooks[name]
    assert nb["score"] == nb["max_score"], [(e["grade_id"], e["message"]) for e in nb["exercises"]
                                            if not e["passed"]]
