"""Training playground (lesson 08): the model as functions, the session, the view driven like a learner."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("ipywidgets")

from backprop_helpers.data import from_arrays  # noqa: E402
from backprop_helpers.learner_model import (FunctionMLP, LearnerFunctionError,  # noqa: E402
                                            reference_functions)
from backprop_helpers.network import MLP  # noqa: E402
from backprop_helpers.widgets import Playground, mlp_from_json, playground  # noqa: E402
from backprop_helpers.widgets.playground.weights import export_weights  # noqa: E402
from backprop_helpers.widgets.playground.model import (  # noqa: E402
    FEATURES, MAX_LAYERS, MAX_NEURONS, PlaygroundSettings, build_model, check_settings, data_loss,
    feature_matrix, forward_layers, layer_sizes, make_data, output_values, split_data)
from backprop_helpers.widgets.playground.session import (PlaygroundSession, grid_points,  # noqa: E402
                                                         link_weights)

FAST = dict(n_points=80)                      # small data sets keep the tests quick


def session(**changes) -> PlaygroundSession:
    return PlaygroundSession(PlaygroundSettings(**{**FAST, **changes}))


# ---------------------------------------------------------------------------------- features

def test_feature_matrix_computes_each_feature_in_the_order_asked():
    X = np.array([[1.0, 2.0], [-0.5, 3.0]])
    x1, x2 = X[:, 0], X[:, 1]
    expected = {"x1": x1, "x2": x2, "x1^2": x1 ** 2, "x2^2": x2 ** 2, "x1*x2": x1 * x2,
                "sin(x1)": np.sin(x1), "sin(x2)": np.sin(x2)}
    F = feature_matrix(X, tuple(FEATURES))
    assert F.shape == (2, 7)
    for j, name in enumerate(FEATURES):
        np.testing.assert_allclose(F[:, j], expected[name])
    np.testing.assert_allclose(feature_matrix(X, ("x1*x2", "x1")), np.column_stack([x1 * x2, x1]))


@settings(max_examples=30)
@given(st.lists(st.sampled_from(list(FEATURES)), min_size=1, max_size=7, unique=True),
       st.lists(st.integers(1, MAX_NEURONS), max_size=MAX_LAYERS))
def test_check_settings_orders_features_and_sizes_follow(features, hidden):
    s = check_settings(PlaygroundSettings(features=features, hidden=hidden))
    assert s.features == tuple(f for f in FEATURES if f in features) and s.hidden == tuple(hidden)
    assert layer_sizes(s.features, s.hidden, "classification") == (len(features), *hidden, 2)
    assert layer_sizes(s.features, s.hidden, "regression")[-1] == 1


@pytest.mark.parametrize("changes, error, message", [
    (dict(hidden=(4, 0)), ValueError, r"playground: hidden layer 2 has 0 neurons, expected 1 to 8; a layer "
                                      r"needs at least one neuron \(to remove a layer, lower the number"),
    (dict(hidden=(9,)), ValueError, r"playground: hidden layer 1 has 9 neurons, expected 1 to 8"),
    (dict(hidden=(2,) * 7), ValueError, r"playground: hidden may list at most 6 layers, got 7"),
    (dict(hidden=(2.5,)), TypeError,
     r"playground: hidden layer 1 must have a whole number of neurons, got float 2.5"),
    (dict(features=()), ValueError, r"playground: features is empty: the network needs at least one input"),
    (dict(features=("x3",)), ValueError, r"playground: features must be names from \['x1', .*got 'x3'"),
    (dict(noise=0.8), ValueError, r"playground: noise must be in \[0, 0.5\], got 0.8"),
    (dict(lr=0.0), ValueError, r"playground: lr \(the learning rate\) must be in \(0, 100\], got 0.0"),
    (dict(lr=float("nan")), TypeError,
     r"playground: lr \(the learning rate\) must be a finite number, got float nan"),
    (dict(batch_size=0), ValueError, r"playground: batch_size must be an integer >= 1, got 0"),
    (dict(dataset="moon"), ValueError, r"playground: dataset must be one of \['circle', 'custom', 'gauss'"),
    (dict(activation="softplus"), ValueError, r"playground: activation must be one of \['linear', 'relu'"),
    (dict(regularization="l3"), ValueError,
     r"playground: regularization must be one of \['l1', 'l2', 'none'\]"),
])
def test_check_settings_names_what_is_wrong(changes, error, message):
    with pytest.raises(error, match=message):
        check_settings(PlaygroundSettings(**changes))


# -------------------------------------------------------------------------------------- data

def test_make_data_splits_by_the_fraction_and_is_seeded():
    s = check_settings(PlaygroundSettings(dataset="xor", n_points=100, train_fraction=0.7, noise=0.1))
    d = make_data(s)
    assert d.task == "classification" and d.X_train.shape == (70, 2) and d.X_test.shape == (30, 2)
    assert set(np.unique(d.y_train)) == {0, 1} and d.extent == (-6.0, 6.0, -6.0, 6.0)
    again = make_data(s)
    np.testing.assert_array_equal(d.X_train, again.X_train)
    other = make_data(replace(s, seed=1))
    assert not np.array_equal(d.X_train, other.X_train)
    reg = make_data(check_settings(PlaygroundSettings(dataset="plane", n_points=40)))
    assert reg.task == "regression" and reg.y_train.shape == (20, 1)


def test_split_data_refuses_one_class_and_more_than_two():
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=r"playground: the data set 'mine' holds only class 0: a classifier "
                                         r"needs examples of both classes 0 and 1"):
        split_data(from_arrays(X, np.zeros(20, dtype=int), name="mine"), 0.5, 0)
    with pytest.raises(ValueError, match=r"playground: the playground shows two classes, 0 and 1; the data "
                                         r"set 'mine' has labels up to 2"):
        split_data(from_arrays(X, np.arange(20) % 3, name="mine"), 0.5, 0)
    d = split_data(from_arrays(X, np.arange(20) % 2, name="mine"), 0.5, 0)
    lo, hi = X.min(axis=0), X.max(axis=0)
    assert d.extent[0] < lo[0] and d.extent[1] > hi[0] and d.extent[2] < lo[1] and d.extent[3] > hi[1]


def test_grid_points_run_row_by_row_from_the_bottom():
    points = grid_points((0.0, 4.0, -2.0, 2.0), 4)
    assert points.shape == (16, 2)
    np.testing.assert_allclose(points[:4, 0], [0.5, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(points[::4, 1], [-1.5, -0.5, 0.5, 1.5])


# ---------------------------------------------------------------------------------- network

def test_build_model_reference_functions_and_factory():
    s = check_settings(PlaygroundSettings(features=("x1", "x2", "x1^2"), hidden=(3,), activation="relu",
                                          regularization="l2", reg_rate=0.01))
    model = build_model(s, "classification")
    assert isinstance(model, MLP) and model.layer_sizes == (3, 3, 2) and model.regularization == "l2"
    functions = build_model(s, "classification", functions=reference_functions("relu"))
    assert isinstance(functions, FunctionMLP)
    np.testing.assert_array_equal(functions.params["W1"], model.params["W1"])        # same seed, same weights
    calls = []

    def factory(sizes, activation, loss, **kwargs):
        calls.append((sizes, activation, loss, kwargs))
        return MLP(sizes, activation, loss, **kwargs)

    build_model(s, "regression", model_factory=factory)
    assert calls == [((3, 3, 1), "relu", "mse", dict(seed=0, regularization="l2", reg_strength=0.01))]


def test_forward_layers_matches_the_mlp_and_output_values_its_probabilities():
    model = MLP((3, 4, 2, 2), activation="tanh", seed=3)
    X = np.random.default_rng(1).normal(size=(6, 3))
    hidden, scores = forward_layers(model.params, "tanh", X)
    assert [h.shape for h in hidden] == [(6, 4), (6, 2)]
    np.testing.assert_allclose(scores, model.forward(X))
    np.testing.assert_allclose(output_values(scores, "classification"), model.predict_proba(X)[:, 1])
    np.testing.assert_allclose(output_values(scores[:, :1], "regression"), scores[:, 0])


def test_data_loss_is_the_loss_without_the_penalty():
    X = np.random.default_rng(2).normal(size=(10, 2))
    y = np.arange(10) % 2
    model = MLP((2, 3, 2), seed=1, regularization="l2", reg_strength=0.5)
    plain = MLP((2, 3, 2), seed=1)
    scores = model.forward(X)
    assert data_loss(scores, y, "classification") == pytest.approx(plain.loss(X, y))
    assert model.loss(X, y) > plain.loss(X, y)
    targets = np.linspace(-1, 1, 10)[:, None]
    reg = MLP((2, 3, 1), loss="mse", seed=1)
    assert data_loss(reg.forward(X), targets, "regression") == pytest.approx(reg.loss(X, targets))


def test_link_weights_give_the_output_the_weight_on_the_class_difference():
    model = MLP((2, 3, 2), seed=0)
    weights = link_weights(model.params, "classification")
    assert [w.shape for w in weights] == [(2, 3), (3, 1)]
    W2 = model.params["W2"]
    np.testing.assert_allclose(weights[1][:, 0], W2[:, 1] - W2[:, 0])
    assert [w.shape for w in link_weights(MLP((2, 1), loss="mse").params, "regression")] == [(2, 1)]


# ------------------------------------------------------------------------------------- JSON

def test_exported_weights_round_trip_into_an_mlp():
    s = session(features=("x1", "x2", "x1*x2"), hidden=(3, 2), regularization="l1", reg_rate=0.001)
    s.train(3)
    text = s.export_json()
    document = json.loads(text)
    assert document["epoch"] == 3 and document["features"] == ["x1", "x2", "x1*x2"]
    assert document["layer_sizes"] == [3, 3, 2, 2] and document["train_loss"] == s.train_losses[-1]
    model = mlp_from_json(text)
    for name, value in s.model.params.items():
        np.testing.assert_array_equal(model.params[name], value)          # exact, not approximately
    assert model.activation == "tanh" and model.regularization == "l1" and model.reg_strength == 0.001
    X = s.data.X_test
    np.testing.assert_array_equal(model.predict(feature_matrix(X, tuple(document["features"]))),
                                  s.model.predict(feature_matrix(X, s.settings.features)))
    assert mlp_from_json(document).layer_sizes == (3, 3, 2, 2)


@pytest.mark.parametrize("text, message", [
    ("{", r"mlp_from_json: text is not valid JSON"),
    ('{"a": 1}', r"mlp_from_json: text must be the JSON written by the playground's export"),
])
def test_mlp_from_json_refuses_other_text(text, message):
    with pytest.raises(ValueError, match=message):
        mlp_from_json(text)


def test_mlp_from_json_names_a_missing_parameter():
    model = MLP((2, 2), seed=0)
    settings_ = check_settings(PlaygroundSettings(hidden=()))
    document = json.loads(export_weights(model, settings_, "classification"))
    del document["params"]["b1"]
    with pytest.raises(ValueError, match=r"mlp_from_json: the JSON has no parameter 'b1'"):
        mlp_from_json(document)


# ---------------------------------------------------------------------------------- session

def test_one_tick_trains_one_epoch_and_the_loss_falls():
    s = session(lr=0.3)
    W1 = s.model.params["W1"].copy()
    assert s.epoch == 0 and len(s.train_losses) == 1
    assert s.train(1) == 1 and s.epoch == 1 and len(s.train_losses) == 2
    assert not np.array_equal(W1, s.model.params["W1"])
    s.train(40)
    assert s.train_losses[-1] < 0.5 * s.train_losses[0]
    G = s.grid_size
    assert s.snapshot.output.shape == (G, G)
    assert [h.shape for h in s.snapshot.hidden] == [(4, G, G), (2, G, G)]
    assert s.snapshot.finite and 0 <= s.snapshot.output.min() and s.snapshot.output.max() <= 1


def test_reset_with_a_seed_repeats_the_run_exactly():
    s = session(batch_size=7)
    s.train(5)
    losses, W = list(s.train_losses), s.model.params["W2"].copy()
    s.reset()
    assert s.epoch == 0 and len(s.train_losses) == 1 and s.train_losses[0] == losses[0]
    s.train(5)
    assert s.train_losses == losses
    np.testing.assert_array_equal(s.model.params["W2"], W)
    fresh = session(batch_size=7)
    fresh.train(5)
    assert fresh.train_losses == losses


def test_apply_says_what_changed_and_keeps_training_for_live_settings():
    s = session()
    s.train(2)
    assert s.apply(s.settings) == "same"
    assert s.apply(replace(s.settings, lr=0.1, batch_size=5, regularization="l2", reg_rate=0.01)) == "live"
    assert s.epoch == 2 and s.trainer.optimizer.lr == 0.1 and s.trainer.batch_size == 5
    assert s.model.regularization == "l2" and s.model.reg_strength == 0.01
    assert s.apply(replace(s.settings, hidden=(3,))) == "network"
    assert s.epoch == 0 and s.model.layer_sizes == (2, 3, 2)
    X = s.data.X_train
    assert s.apply(replace(s.settings, noise=0.2)) == "data"
    assert not np.array_equal(X, s.data.X_train)


def test_bad_settings_leave_the_session_as_it_was():
    s = session()
    s.train(2)
    before = s.settings
    with pytest.raises(ValueError, match=r"hidden layer 1 has 0 neurons"):
        s.apply(replace(before, hidden=(0,)))
    assert s.settings == before and s.epoch == 2 and s.train(1) == 1


def test_a_diverging_learning_rate_stops_training_with_a_reason():
    s = session(dataset="plane", lr=3.0)
    s.train(5)
    assert s.diverged and "diverged" in s.stop_reason and "Lower the learning rate" in s.stop_reason
    assert s.snapshot.finite and np.isfinite(s.train_losses).all()
    epoch = s.epoch
    assert s.train(3) == 0 and s.epoch == epoch
    s.apply(replace(s.settings, lr=0.03))
    s.reset()
    assert not s.diverged and s.train(2) == 2


def test_functions_of_the_reference_train_like_the_mlp():
    ref = session(activation="relu")
    own = PlaygroundSession(PlaygroundSettings(activation="relu", **FAST),
                            functions=reference_functions("relu"))
    assert isinstance(own.model, FunctionMLP) and own.model_description.startswith("your functions")
    ref.train(3)
    own.train(3)
    np.testing.assert_allclose(own.train_losses, ref.train_losses, rtol=1e-10)
    own.set_use_learner_model(False)
    assert isinstance(own.model, MLP) and own.epoch == 0


def test_a_raising_learner_function_propagates_from_train():
    def linear_backward(dout, X, W):
        raise ValueError("shapes do not align")

    s = PlaygroundSession(PlaygroundSettings(**FAST), functions={"linear_backward": linear_backward})
    with pytest.raises(LearnerFunctionError,
                       match=r"your linear_backward .* raised ValueError: shapes do not"):
        s.train(1)


@settings(max_examples=12)
@given(st.lists(st.sampled_from(list(FEATURES)), min_size=1, max_size=7, unique=True),
       st.lists(st.integers(1, MAX_NEURONS), max_size=MAX_LAYERS),
       st.sampled_from(["tanh", "relu", "sigmoid", "linear"]),
       st.sampled_from(["circle", "gaussian_regression"]))
def test_every_architecture_trains_and_draws(features, hidden, activation, dataset):
    s = PlaygroundSession(PlaygroundSettings(dataset=dataset, features=features, hidden=hidden,
                                             activation=activation, n_points=40), grid_size=8)
    assert s.train(1) == 1
    assert [h.shape[0] for h in s.snapshot.hidden] == list(hidden)
    assert [w.shape for w in s.link_weights()] == list(zip((len(features), *hidden), (*hidden, 1)))


# ------------------------------------------------------------------------------------- view

@pytest.fixture
def view():
    return playground(**FAST)


def test_factory_builds_the_documented_controls(view):
    assert isinstance(view, Playground) and view.session.epoch == 0
    assert view.dataset.value == "circle" and view.problem.value == "classification"
    assert [n.layout.display for n in view.neurons] == [None, None, "none", "none", "none", "none"]
    assert [f for f, box in view.features.items() if box.value] == ["x1", "x2"]
    assert view.view.image_bytes().startswith(b"\x89PNG") and "epoch <b>0</b>" in view.readout.value
    assert view.model_choice.layout.display == "none" and view.message_text == ""


def test_play_ticks_step_and_reset(view):
    first = view.view.image_array()
    renders = view.view.render_count
    view.play.value += 1
    assert view.session.epoch == 1 and view.view.render_count == renders + 1
    assert not np.array_equal(first, view.view.image_array())
    view.step_button.click()
    view.step()
    assert view.session.epoch == 3 and "epoch <b>3</b>" in view.readout.value
    view.play.value = 0                                 # the stop button rewinds: no training
    assert view.session.epoch == 3
    view.reset_button.click()
    assert view.session.epoch == 0
    np.testing.assert_array_equal(view.view.image_array(), first)      # the same initial weights


def test_changing_data_noise_layers_and_learning_rate(view):
    view.step()
    points = view.figure.train_points[0].get_xydata().copy()
    view.noise.value = 0.2
    assert view.session.settings.noise == 0.2 and view.session.epoch == 0
    assert not np.array_equal(points, view.figure.train_points[0].get_xydata())
    view.layers.value = 3
    assert view.session.settings.hidden == (4, 2, 4) and view.neurons[2].layout.display is None
    assert view.figure.headers[3].get_text().startswith("layer 3")
    view.step()
    view.lr.value = 0.1
    assert view.session.epoch == 1 and view.session.trainer.optimizer.lr == 0.1
    view.dataset.value = "plane"
    assert view.problem.value == "regression" and view.session.data.task == "regression"
    assert view.figure.out_title.get_text() == "output: the predicted value"
    view.problem.value = "classification"
    assert view.dataset.value == "circle" and view.session.data.task == "classification"
    view.features["x1^2"].value = True
    assert view.session.settings.features == ("x1", "x2", "x1^2") and view.message_text == ""


def test_toggles_change_the_image(view):
    view.step()
    image = view.view.image_array()
    view.show_test.value = False
    assert not any(line.get_visible() for line in view.figure.test_points)
    view.show_test.value = True
    assert [len(line.get_xdata()) > 0 for line in view.figure.test_points] == \
        [line.get_visible() for line in view.figure.test_points]
    view.show_test.value = False
    assert not np.array_equal(image, view.view.image_array())
    view.discretize.value = True
    assert set(np.unique(view.figure.output.get_array())) <= {0.0, 1.0}
    assert not np.array_equal(image, view.view.image_array())


def test_zero_neurons_show_a_message_and_the_widget_recovers(view):
    view.step()
    view.neurons[1].value = 0
    assert "hidden layer 2 has 0 neurons" in view.message_text
    assert view.session.settings.hidden == (4, 2) and view.session.epoch == 1
    view.play.playing = True
    assert view.play.playing is False and "0 neurons" in view.message_text
    view.play.value += 1
    assert view.session.epoch == 1                      # nothing trained while a setting is wrong
    view.neurons[1].value = 3
    assert view.message_text == "" and view.session.settings.hidden == (4, 3)
    view.play.value += 1
    assert view.session.epoch == 1


def test_no_feature_shows_a_message(view):
    view.features["x1"].value = False
    view.features["x2"].value = False
    assert "features is empty" in view.message_text
    view.features["sin(x1)"].value = True
    assert view.message_text == "" and view.session.settings.features == ("sin(x1)",)


def test_a_diverging_learning_rate_pauses_play_and_reset_recovers():
    view = playground("plane", lr=3.0, **FAST)
    view.play.playing = True
    for _ in range(4):
        view.play.value += 1
    assert view.session.diverged and view.play.playing is False
    assert "diverged" in view.message_text and "Press reset" in view.message_text
    image = view.view.image_array()
    view.step()
    np.testing.assert_array_equal(image, view.view.image_array())   # the last finite picture stays
    view.lr.value = 0.03
    view.reset_button.click()
    assert view.message_text == "" and not view.session.diverged
    view.step()
    assert view.session.epoch == 1


def test_export_button_writes_the_file_and_shows_the_json(view, tmp_path):
    view.step()
    path = tmp_path / "weights.json"
    view.export_path.value = str(path)
    view.export_button.click()
    text = path.read_text()
    assert text == view.export_json() == view.export_text.value
    assert view.export_text.layout.display is None and "wrote the weights of epoch 1" in view.message_text
    np.testing.assert_array_equal(mlp_from_json(text).params["W1"], view.session.model.params["W1"])


def test_the_learners_raising_function_shows_a_message_and_reference_works():
    def relu_backward(dout, x):
        raise NotImplementedError()

    view = playground(functions={"activation_backward": relu_backward}, activation="relu", **FAST)
    assert view.activation.disabled and view.model_choice.layout.display is None
    view.play.playing = True
    view.play.value += 1
    assert "not written yet" in view.message_text and "set 'model' to 'reference'" in view.message_text
    assert view.play.playing is False and view.session.epoch == 0
    view.model_choice.value = "reference"
    view.step()
    assert view.session.epoch == 1 and view.message_text == ""


def test_a_model_factory_that_raises_falls_back_to_the_reference():
    def broken(*args, **kwargs):
        raise RuntimeError("my model is not finished")

    view = playground(model_factory=broken, **FAST)
    assert "my model is not finished" in view.message_text and "the reference MLP" in view.message_text
    assert view.model_choice.value == "reference" and isinstance(view.session.model, MLP)
    view.step()
    assert view.session.epoch == 1
    view.model_choice.value = "yours"                    # it fails again: said, and the toggle goes back
    assert "my model is not finished" in view.message_text and view.model_choice.value == "reference"
    view.step()
    assert view.session.epoch == 2


def test_the_learners_own_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    view = playground(X=X, y=y, hidden=[4], n_points=60)
    assert view.dataset.value == "custom" and view.session.data.name == "your data"
    assert view.session.data.X_train.shape[0] + view.session.data.X_test.shape[0] == 60
    view.step()
    view.dataset.value = "xor"
    view.dataset.value = "custom"
    assert view.session.data.name == "your data" and view.message_text == ""
    values = playground(X=X, y=X[:, 0] * 0.5, n_points=60)
    assert values.problem.value == "regression"


def test_data_with_one_class_shows_a_message_and_the_circle():
    X = np.random.default_rng(0).normal(size=(30, 2))
    view = playground(X=X, y=np.zeros(30, dtype=int), **FAST)
    assert "holds only class 0" in view.message_text
    assert "showing the circle data set instead" in view.message_text
    assert view.dataset.value == "circle"
    view.step()
    assert view.session.epoch == 1
    view.dataset.value = "custom"
    assert "holds only class 0" in view.message_text and view.session.settings.dataset == "circle"


def test_the_timer_slows_down_for_slow_ticks(view):
    view._adapt_interval(0.2)
    assert view.play.interval == 260
    view._adapt_interval(0.001)
    assert view.play.interval >= 40


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(hidden=(4, 0)), ValueError, r"playground: hidden layer 2 has 0 neurons"),
    (dict(X=np.zeros((4, 2))), ValueError, r"playground: pass both X and y \(your data\), or neither"),
    (dict(X=np.zeros((4, 3)), y=np.array([0, 1, 0, 1])), ValueError,
     r"playground: X must hold points of the plane, shape \(N, 2\), got shape \(4, 3\)"),
    (dict(X="points", y=[0, 1]), TypeError, r"playground: from_arrays: X must be a numpy array"),
    (dict(dataset="custom"), ValueError, r"playground: dataset 'custom' needs your data: pass X and y"),
    (dict(functions={"relu": abs}), ValueError,
     r"playground: functions has an unknown role 'relu'; the roles"),
    (dict(functions=[abs]), TypeError, r"playground: functions must be a dict role -> function, got a list"),
    (dict(model_factory=3), TypeError,
     r"playground: model_factory must be a class or function called like MLP"),
    (dict(model_factory=MLP, functions={}), ValueError,
     r"playground: pass functions or model_factory, not both"),
    (dict(epochs_per_tick=0), ValueError, r"playground: epochs_per_tick must be a positive integer"),
])
def test_factory_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        playground(**kwargs)
