"""Training playground (lesson 08): the whole state as one line of text, and back.

The playground shows its settings, its seed and the points the learner drew as one string that can
be copied, kept, sent to someone, and pasted into any playground's "restore" field (or given to
``Playground.restore``), where it gives the same data, the same network from the same initial
weights, and so the same run. It is plain ``key=value`` pairs separated by ``;``, with the names of
:class:`~.model.PlaygroundSettings`, so it can be read and edited by hand::

    v=1;dataset=circle;noise=0.0;train_fraction=0.5;batch_size=10;features=x1,x2;hidden=4,2;
    activation=tanh;lr=0.03;regularization=none;reg_rate=0.0;n_points=500;seed=0;points=1.5:-2.25:1

(one line). ``points`` lists ``x1:x2:label`` triples separated by ``,``. A key left out keeps its
value from ``base`` (the defaults, unless given), so ``dataset=xor;hidden=8,8`` is a valid state.
The trained weights are not part of it: ``Playground.export_json`` writes those.

Both functions are pure; :func:`~.model.check_settings` validates the values afterwards.
"""
from __future__ import annotations

from dataclasses import fields, replace

from .model import PlaygroundSettings

__all__ = ["STATE_VERSION", "encode_state", "decode_state"]

STATE_VERSION = 1
_KEYS = [f.name for f in fields(PlaygroundSettings)]
_FN = "playground state"


def _number(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (an integer-valued float keeps its .0)."""
    return repr(float(value))


def encode_state(settings: PlaygroundSettings) -> str:
    """``settings`` as one line of ``key=value;...`` text (see the module docstring)."""
    s = settings
    parts = {
        "v": str(STATE_VERSION), "dataset": s.dataset, "noise": _number(s.noise),
        "train_fraction": _number(s.train_fraction), "batch_size": str(int(s.batch_size)),
        "features": ",".join(s.features), "hidden": ",".join(str(int(h)) for h in s.hidden),
        "activation": s.activation, "lr": _number(s.lr), "regularization": s.regularization,
        "reg_rate": _number(s.reg_rate), "n_points": str(int(s.n_points)), "seed": str(int(s.seed)),
        "points": ",".join(f"{_number(x1)}:{_number(x2)}:{int(label)}" for x1, x2, label in s.points),
    }
    return ";".join(f"{key}={value}" for key, value in parts.items())


def _parse_float(key: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{_FN}: {key} must be a number, got {text!r}") from None


def _parse_int(key: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{_FN}: {key} must be a whole number, got {text!r}") from None


def _parse_points(text: str) -> tuple[tuple[float, float, int], ...]:
    points = []
    for k, item in enumerate(filter(None, (p.strip() for p in text.split(","))), 1):
        pieces = item.split(":")
        if len(pieces) != 3:
            raise ValueError(f"{_FN}: point {k} must be x1:x2:label, got {item!r}")
        points.append((_parse_float(f"point {k}'s x1", pieces[0]), _parse_float(f"point {k}'s x2", pieces[1]),
                       _parse_int(f"point {k}'s label", pieces[2])))
    return tuple(points)


def decode_state(text: str, base: PlaygroundSettings | None = None) -> PlaygroundSettings:
    """The settings written by :func:`encode_state`; keys left out keep their value in ``base``.

    Raises ValueError naming the key for text that is not such a state (an unknown key, a key given
    twice, a value that is not a number where one is needed, another version). The values are not
    validated here: :func:`~.model.check_settings` does that.
    """
    if not isinstance(text, str):
        raise TypeError(f"{_FN}: the state must be a string, got {type(text).__name__}")
    settings = base if base is not None else PlaygroundSettings()
    seen: set[str] = set()
    changes: dict = {}
    pairs = [p.strip() for p in text.strip().split(";")]
    if not any(pairs):
        raise ValueError(f"{_FN}: the text is empty; paste a state such as 'dataset=xor;hidden=8,8'")
    for pair in filter(None, pairs):
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            raise ValueError(f"{_FN}: {pair!r} is not key=value")
        if key in seen:
            raise ValueError(f"{_FN}: {key} is given twice")
        seen.add(key)
        if key == "v":
            if value != str(STATE_VERSION):
                raise ValueError(f"{_FN}: version {value!r} is not known; this playground reads version "
                                 f"{STATE_VERSION}")
        elif key not in _KEYS:
            raise ValueError(f"{_FN}: unknown key {key!r}; the keys are v, {', '.join(_KEYS)}")
        elif key in ("noise", "train_fraction", "lr", "reg_rate"):
            changes[key] = _parse_float(key, value)
        elif key in ("batch_size", "n_points", "seed"):
            changes[key] = _parse_int(key, value)
        elif key == "features":
            changes[key] = tuple(f.strip() for f in value.split(",") if f.strip())
        elif key == "hidden":
            changes[key] = tuple(_parse_int("hidden", h.strip()) for h in value.split(",") if h.strip())
        elif key == "points":
            changes[key] = _parse_points(value)
        else:
            changes[key] = value
    return replace(settings, **changes)
