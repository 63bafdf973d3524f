"""Training playground (lesson 08): the model as functions, the session, the state string, the frames
the kernel sends, and the widget driven as its browser front end drives it (traits set, messages
received). The front end itself is tested in a real browser: tests/test_browser_playground.py."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

from backprop_helpers.data import from_arrays  # noqa: E402
from backprop_helpers.learner_model import (FunctionMLP, LearnerFunctionError,  # noqa: E402
                                            reference_functions)
from backprop_helpers.network import MLP  # noqa: E402
from backprop_helpers.plots import palette  # noqa: E402
from backprop_helpers.widgets import Playground, mlp_from_json, playground  # noqa: E402
from backprop_helpers.widgets.playground.frames import pack_frame, quantize  # noqa: E402
from backprop_helpers.widgets.playground.state import decode_state, encode_state  # noqa: E402
from backprop_helpers.widgets.playground.widget import MAX_TICKS_PER_MESSAGE  # noqa: E402
from backprop_helpers.widgets.playground.weights import export_weights  # noqa: E402
from backprop_helpers.widgets.playground.model import (  # noqa: E402
    FEATURES, MAX_LAYERS, MAX_NEURONS, PlaygroundSettings, build_model, check_settings, data_loss,
    drawn_points, feature_matrix, forward_layers, layer_sizes, make_data, output_values, split_data)
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


# ----------------------------------------------------------------------------- state string

def test_the_state_string_round_trips_every_setting_exactly():
    s = check_settings(PlaygroundSettings(dataset="xor", noise=0.15, train_fraction=0.3, batch_size=7,
                                          features=("x1", "sin(x2)", "x1*x2"), hidden=(8, 3, 1),
                                          activation="relu", lr=0.003, regularization="l1", reg_rate=0.03,
                                          n_points=120, seed=42, points=((1.5, -2.25, 1), (0.1, 0.2, 0))))
    text = encode_state(s)
    assert "\n" not in text and text.startswith("v=1;dataset=xor;")
    assert check_settings(decode_state(text)) == s
    assert decode_state("dataset=spiral; hidden=8,8 ;") == PlaygroundSettings(dataset="spiral", hidden=(8, 8))
    assert decode_state("hidden=;points=").hidden == () and decode_state("points=").points == ()


@pytest.mark.parametrize("text, message", [
    ("", r"playground state: the text is empty"),
    ("colour=red", r"playground state: unknown key 'colour'; the keys are v, dataset, noise"),
    ("noise=lots", r"playground state: noise must be a number, got 'lots'"),
    ("seed=1;seed=2", r"playground state: seed is given twice"),
    ("v=2", r"playground state: version '2' is not known"),
    ("points=1:2", r"playground state: point 1 must be x1:x2:label, got '1:2'"),
    ("dataset", r"playground state: 'dataset' is not key=value"),
])
def test_decode_state_names_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        decode_state(text)


def test_drawn_points_are_validated_and_become_training_data():
    with pytest.raises(ValueError, match=r"playground: point 1's label must be an integer from 0 to 1, got 2"):
        check_settings(PlaygroundSettings(points=((0.0, 0.0, 2),)))
    with pytest.raises(TypeError, match=r"playground: point 2 must be \(x1, x2, label\)"):
        check_settings(PlaygroundSettings(points=((0.0, 0.0, 1), (1.0,))))
    X, y = drawn_points(((1.0, 2.0, 1), (3.0, 4.0, 0)), "classification")
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(y, [1, 0])
    np.testing.assert_array_equal(drawn_points(((1.0, 2.0, 1), (3.0, 4.0, 0)), "regression")[1], [[1.0], [-1.0]])


def test_drawn_points_join_training_while_it_goes_on():
    s = session()
    s.train(3)
    n = s.trainer.X.shape[0]
    assert s.apply(replace(s.settings, points=((0.0, 0.0, 1), (5.0, 5.0, 0)))) == "live"
    assert s.epoch == 3 and s.trainer.X.shape[0] == n + 2 and s.trainer.y[-2:].tolist() == [1, 0]
    np.testing.assert_allclose(s.trainer.X[-1], feature_matrix(np.array([[5.0, 5.0]]), s.settings.features)[0])
    assert s.train(1) == 1 and s.epoch == 4
    s.apply(replace(s.settings, points=()))
    assert s.trainer.X.shape[0] == n


def test_set_weight_sets_a_link_and_the_output_link_keeps_the_sum():
    s = session()
    s.set_weight(1, 1, 2, 0.75)
    assert s.model.params["W1"][1, 2] == 0.75 and s.link_weights()[0][1, 2] == 0.75
    W3 = s.model.params["W3"].copy()
    s.set_weight(3, 1, 0, -2.0)
    assert s.link_weights()[2][1, 0] == pytest.approx(-2.0)
    np.testing.assert_allclose(s.model.params["W3"].sum(axis=1), W3.sum(axis=1))
    assert s.train_losses[-1] == s.snapshot.train_loss and len(s.train_losses) == 1
    with pytest.raises(ValueError, match=r"playground.set_weight: layer must be 1 to 3, got 4"):
        s.set_weight(4, 0, 0, 1.0)
    with pytest.raises(ValueError, match=r"playground.set_weight: j must be 0 to 0 in layer 3, got 1"):
        s.set_weight(3, 0, 1, 1.0)
    with pytest.raises(ValueError, match=r"playground.set_weight: value must be a finite number"):
        s.set_weight(1, 0, 0, float("inf"))


# ------------------------------------------------------------------------------------ frames

def test_quantize_maps_the_range_onto_bytes():
    q = quantize(np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0]), -1.0, 1.0)
    assert q.dtype == np.uint8 and q.tolist() == [0, 0, 128, 191, 255, 255]


def test_a_full_frame_holds_the_layout_and_every_array():
    s = PlaygroundSession(PlaygroundSettings(**FAST, points=((1.0, 1.0, 0),)), grid_size=105)
    header, buffers = pack_frame(s, full=True, layout_id=3, focus=1)
    shapes = {name: (dtype, tuple(shape)) for name, dtype, shape in header["buffers"]}
    assert shapes == {"output": ("float32", (105, 105)), "neurons": ("uint8", (6, 35, 35)),
                      "focus": ("uint8", (105, 105)), "weights": ("float32", (2 * 4 + 4 * 2 + 2 + 4 + 2 + 1,)),
                      "losses": ("float32", (1, 2)), "points": ("float32", (81, 4)), "inputs": ("uint8", (7, 105, 105))}
    arrays = {name: np.frombuffer(b, dtype=dtype).reshape(shape)
              for (name, dtype, shape), b in zip(header["buffers"], buffers)}
    np.testing.assert_array_equal(arrays["output"], s.snapshot.output[::-1].astype(np.float32))   # top row first
    np.testing.assert_array_equal(arrays["neurons"][2], quantize(s.snapshot.hidden[0][2][::-1][1::3, 1::3], -1, 1))
    np.testing.assert_array_equal(arrays["focus"], quantize(s.snapshot.hidden[0][1][::-1], -1, 1))
    expected = np.concatenate([w.ravel() for w in s.link_weights()] + s.node_biases()).astype(np.float32)
    np.testing.assert_array_equal(arrays["weights"], expected)
    assert arrays["points"][-1].tolist() == [1.0, 1.0, 0.0, 2.0]                 # the drawn point, kind 2
    assert header["sizes"] == [2, 4, 2, 1] and header["layout_id"] == 3 and header["small"] == 35
    assert header["output_range"] == [0.0, 1.0] and header["extent"] == [-6.0, 6.0, -6.0, 6.0]
    assert sum(len(b) for b in buffers) < 200_000


def test_a_network_without_hidden_layers_sends_no_neuron_maps():
    view = playground("circle", hidden=[], features=["x1^2", "x2^2"], **FAST)
    sent = frames(view)
    view.receive({"type": "hello"})
    view.step(epochs=2)
    header, arrays = sent[0]
    assert header["sizes"] == [2, 1] and arrays["neurons"].shape == (0, 35, 35)
    assert arrays["weights"].shape == (2 + 1,) and sent[-1][0]["epoch"] == 2


def test_a_tick_frame_sends_only_the_losses_not_yet_sent():
    s = session()
    s.train(5)
    header, buffers = pack_frame(s, full=False, layout_id=1, loss_start=4)
    assert header["loss_start"] == 4 and "points" not in [b[0] for b in header["buffers"]]
    losses = np.frombuffer(buffers[[b[0] for b in header["buffers"]].index("losses")], dtype=np.float32)
    np.testing.assert_allclose(losses.reshape(-1, 2), np.column_stack([s.train_losses[4:], s.test_losses[4:]]),
                               rtol=1e-6)
    assert pack_frame(s, full=False, layout_id=1, loss_start=99)[0]["loss_start"] == 5   # always the latest


# ------------------------------------------------------------------------------------- view

@pytest.fixture
def view():
    return playground(**FAST)


def frames(view):
    """The frames the view sends from now on (header, arrays by name), recorded."""
    sent = []

    def record(content, buffers=None):
        if content.get("type") == "frame":
            sent.append((content, {name: np.frombuffer(b, dtype=dtype).reshape(shape)
                                   for (name, dtype, shape), b in zip(content["buffers"], buffers)}))
    view.send = record
    return sent


def test_factory_builds_the_widget_and_its_front_end(view):
    assert isinstance(view, Playground) and view.session.epoch == 0
    assert view.dataset == "circle" and view.hidden == [4, 2] and view.features == ["x1", "x2"]
    assert view.train_percent == 50 and view.lr == 0.03 and view.message_text == ""
    assert "export default" in view._esm and ".bpg" in view._css
    assert "https://" not in view._esm + view._css and "import(" not in view._esm        # nothing fetched
    palette_used = view.options["palette"]
    assert (palette_used["negative"], palette_used["positive"]) == (palette.NEGATIVE, palette.POSITIVE)
    assert view.options["has_learner_model"] is False and view.state_text == view.state
    assert view.state == encode_state(view.session.settings)


def test_hello_sends_a_full_frame_and_ticks_train_up_to_the_target(view):
    sent = frames(view)
    view.receive({"type": "hello"})
    assert sent[-1][0]["full"] and sent[-1][0]["epoch"] == 0
    view.receive({"type": "tick", "target": 3})
    assert view.session.epoch == 3 and [h["epoch"] for h, _ in sent[1:]] == [1, 2, 3]
    assert all(not h["full"] and "kernel_ms" in h for h, _ in sent[1:])
    view.receive({"type": "tick", "target": 3})                  # a second view asking for the same epochs
    assert view.session.epoch == 3 and len(sent) == 4
    view.receive({"type": "tick", "target": 1000})
    assert view.session.epoch == 3 + MAX_TICKS_PER_MESSAGE
    header, arrays = sent[-1]
    assert arrays["losses"].shape == (1, 2) and header["loss_start"] == view.session.epoch


def test_step_reset_and_the_same_initial_weights(view):
    sent = frames(view)
    first = view.session.snapshot.output.copy()
    view.receive({"type": "step"})
    view.step()
    assert view.session.epoch == 2 and sent[-1][0]["epoch"] == 2
    assert not np.array_equal(first, view.session.snapshot.output)
    view.receive({"type": "reset"})
    assert view.session.epoch == 0 and sent[-1][0]["loss_start"] == 0
    np.testing.assert_array_equal(sent[-1][1]["output"], first[::-1])


def test_changing_data_noise_layers_and_learning_rate(view):
    sent = frames(view)
    view.step()
    points = view.session.data.X_train.copy()
    view.noise = 0.2
    assert view.session.settings.noise == 0.2 and view.session.epoch == 0 and sent[-1][0]["full"]
    assert not np.array_equal(points, view.session.data.X_train)
    view.hidden = [4, 2, 3]
    assert view.session.settings.hidden == (4, 2, 3) and sent[-1][0]["sizes"] == [2, 4, 2, 3, 1]
    view.step()
    frames_before = len(sent)
    view.lr = 0.1
    assert view.session.epoch == 1 and view.session.trainer.optimizer.lr == 0.1 and len(sent) == frames_before
    assert "lr=0.1;" in view.state_text
    view.dataset = "plane"
    assert view.session.data.task == "regression" and sent[-1][0]["output_range"] == [-1.0, 1.0]
    view.features = ["x1", "x2", "x1^2"]
    assert view.session.settings.features == ("x1", "x2", "x1^2") and view.message_text == ""


def test_a_drawn_point_trains_at_once_and_clearing_removes_it(view):
    sent = frames(view)
    view.step()
    view.points = [[0.5, -0.5, 1]]
    assert view.session.epoch == 1 and view.session.trainer.X.shape[0] == 41
    header, arrays = sent[-1]
    assert header["full"] and header["n_drawn"] == 1 and arrays["points"][-1, 3] == 2
    assert "points=0.5:-0.5:1" in view.state_text
    view.points = []
    assert view.session.trainer.X.shape[0] == 40 and sent[-1][0]["n_drawn"] == 0


def test_a_link_edited_in_the_browser(view):
    sent = frames(view)
    view.receive({"type": "set_weight", "layer": 2, "i": 3, "j": 1, "value": -1.5})
    assert view.session.model.params["W2"][3, 1] == -1.5
    assert sent[-1][1]["weights"][8 + 3 * 2 + 1] == -1.5                      # after W1's 2 x 4 links
    view.receive({"type": "set_weight", "layer": 9, "i": 0, "j": 0, "value": 1.0})
    assert "layer must be 1 to 3" in view.message_text


def test_the_focused_neuron_is_sent_at_full_resolution(view):
    sent = frames(view)
    view.focus_node = 4
    header, arrays = sent[-1]
    assert header["focus"] == 4 and arrays["focus"].shape == (105, 105) and arrays["neurons"].shape == (6, 35, 35)
    view.focus_node = -1
    view.step()
    assert "focus" not in sent[-1][1]


def test_restoring_the_state_string_in_a_fresh_widget_gives_the_same_picture():
    original = playground("xor", hidden=[3], **FAST)
    original.noise = 0.1
    original.seed = 7
    original.points = [[1.0, 1.0, 0], [-2.0, 3.0, 1]]
    original.features = ["x1", "x2", "x1*x2"]
    original.reset()
    original.step(epochs=5)
    fresh = playground(**FAST)
    sent = frames(fresh)
    fresh.receive({"type": "restore", "text": original.state_text})
    assert fresh.message_text == "" and fresh.state_text == original.state_text and sent[-1][0]["full"]
    assert fresh.seed == 7 and fresh.points == [[1.0, 1.0, 0], [-2.0, 3.0, 1]] and fresh.hidden == [3]
    fresh.step(epochs=5)
    np.testing.assert_array_equal(fresh.session.snapshot.output, original.session.snapshot.output)
    assert fresh.session.train_losses == original.session.train_losses
    fresh.receive({"type": "restore", "text": "hidden=0"})
    assert "playground state: hidden layer 1 has 0 neurons" in fresh.message_text
    assert fresh.session.settings.hidden == (3,) and fresh.session.epoch == 5


def test_zero_neurons_show_a_message_and_the_widget_recovers(view):
    view.step()
    view.hidden = [4, 0]
    assert "hidden layer 2 has 0 neurons" in view.message_text
    assert view.session.settings.hidden == (4, 2) and view.session.epoch == 1
    view.playing = True
    assert view.playing is False and "0 neurons" in view.message_text
    view.tick()
    assert view.session.epoch == 1                      # nothing trained while a setting is wrong
    view.hidden = [4, 3]
    assert view.message_text == "" and view.session.settings.hidden == (4, 3)
    view.tick()
    assert view.session.epoch == 1


def test_no_feature_shows_a_message(view):
    view.features = []
    assert "features is empty" in view.message_text
    view.features = ["sin(x1)"]
    assert view.message_text == "" and view.session.settings.features == ("sin(x1)",)


def test_a_diverging_learning_rate_pauses_play_and_reset_recovers():
    view = playground("plane", lr=3.0, **FAST)
    sent = frames(view)
    view.playing = True
    view.receive({"type": "tick", "target": 4})
    assert view.session.diverged and view.playing is False
    assert "diverged" in view.message_text and "Press reset" in view.message_text
    assert sent[-1][0]["diverged"]
    picture = view.session.snapshot.output.copy()
    view.step()
    np.testing.assert_array_equal(picture, view.session.snapshot.output)   # the last finite picture stays
    view.lr = 0.03
    view.receive({"type": "reset"})
    assert view.message_text == "" and not view.session.diverged
    view.step()
    assert view.session.epoch == 1


def test_export_writes_the_file_and_shows_the_json(view, tmp_path):
    view.step()
    path = tmp_path / "weights.json"
    view.export_path = str(path)
    view.receive({"type": "export"})
    text = path.read_text()
    assert text == view.export_json() == view.export_text
    assert view.message_level == "info" and "wrote the weights of epoch 1" in view.message_text
    np.testing.assert_array_equal(mlp_from_json(text).params["W1"], view.session.model.params["W1"])


def test_the_learners_raising_function_shows_a_message_and_reference_works():
    def relu_backward(dout, x):
        raise NotImplementedError()

    view = playground(functions={"activation_backward": relu_backward}, activation="relu", **FAST)
    assert view.options["activation_locked"] and view.options["has_learner_model"]
    assert view.model_choice == "yours"
    view.playing = True
    view.receive({"type": "tick", "target": 1})
    assert "not written yet" in view.message_text and "set 'model' to 'reference'" in view.message_text
    assert view.playing is False and view.session.epoch == 0
    view.model_choice = "reference"
    view.step()
    assert view.session.epoch == 1 and view.message_text == ""


def test_a_model_factory_that_raises_falls_back_to_the_reference():
    def broken(*args, **kwargs):
        raise RuntimeError("my model is not finished")

    view = playground(model_factory=broken, **FAST)
    assert "my model is not finished" in view.message_text and "the reference MLP" in view.message_text
    assert view.model_choice == "reference" and isinstance(view.session.model, MLP)
    view.step()
    assert view.session.epoch == 1
    view.model_choice = "yours"                          # it fails again: said, and the choice goes back
    assert "my model is not finished" in view.message_text and view.model_choice == "reference"
    view.step()
    assert view.session.epoch == 2


def test_the_learners_own_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    view = playground(X=X, y=y, hidden=[4], n_points=60)
    assert view.dataset == "custom" and view.session.data.name == "your data"
    assert ["custom", "your data", "classification"] in view.options["datasets"]
    assert view.session.data.X_train.shape[0] + view.session.data.X_test.shape[0] == 60
    view.step()
    view.dataset = "xor"
    view.dataset = "custom"
    assert view.session.data.name == "your data" and view.message_text == ""
    values = playground(X=X, y=X[:, 0] * 0.5, n_points=60)
    assert values.session.data.task == "regression"


def test_data_with_one_class_shows_a_message_and_the_circle():
    X = np.random.default_rng(0).normal(size=(30, 2))
    view = playground(X=X, y=np.zeros(30, dtype=int), **FAST)
    assert "holds only class 0" in view.message_text
    assert "showing the circle data set instead" in view.message_text
    assert view.dataset == "circle"
    view.step()
    assert view.session.epoch == 1
    view.dataset = "custom"
    assert "holds only class 0" in view.message_text and view.session.settings.dataset == "circle"


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
    (dict(epochs_per_tick=0), ValueError, r"playground: epochs_per_tick must be an integer from 1 to 100"),
    (dict(grid_size=4), ValueError, r"playground: grid_size must be an integer from 8 to 200"),
])
def test_factory_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        playground(**kwargs)
