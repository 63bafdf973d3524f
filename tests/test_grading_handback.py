"""What ``grade`` hands back besides the instructor's report: a feedback file per learner
(``--feedback``), the gradebook an LMS imports (``--gradebook``), and the pairs of learners whose
exercise cells are nearly identical (``--similarity``); and who each learner is."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from backprop_helpers.grading import runner as grading
from backprop_helpers.grading.similarity import learner_lines, normalised_tokens, similar_pairs
from backprop_helpers.grading.submissions import LessonSpec, learner_id, parse

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "02_loss.ipynb"
PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"

ALICE = {
    "mean_squared_error": "diff = y_hat - y\nsquared = diff * diff\nloss = float(squared.sum(axis=1).mean())",
    "softmax": ("top = np.max(scores, axis=1, keepdims=True)\nexps = np.exp(scores - top)\n"
                "probs = exps / np.sum(exps, axis=1, keepdims=True)"),
    "cross_entropy": ("top = np.max(scores, axis=1, keepdims=True)\n"
                      "logz = top[:, 0] + np.log(np.sum(np.exp(scores - top), axis=1))\n"
                      "picked = scores[np.arange(scores.shape[0]), y]\nloss = float(np.mean(logz - picked))"),
    "binary_cross_entropy": ("each = y * np.log(p) + (1.0 - y) * np.log(1.0 - p)\n"
                             "loss = float(-np.sum(each) / p.shape[0])"),
}
# alice's answers copied: names changed, constants written differently, comments and spacing added
CAROL = {
    "mean_squared_error": "d = y_hat-y   # the error\n\nsq = d*d\nloss = float(sq.sum(axis = 1).mean())",
    "softmax": ("m = np.max(scores, axis=1, keepdims=True)  # stable\ne = np.exp(scores - m)\n"
                "probs = e / np.sum(e, axis=1, keepdims=True)"),
    "cross_entropy": ("m = np.max(scores, axis=1, keepdims=True)\n"
                      "lse = m[:, 0] + np.log(np.sum(np.exp(scores - m), axis=1))\n"
                      "# the true class\nchosen = scores[np.arange(scores.shape[0]), y]\n"
                      "loss = float(np.mean(lse - chosen))"),
    "binary_cross_entropy": ("t = y * np.log(p) + (1 - y) * np.log(1 - p)\n"
                             "loss = float(-np.sum(t) / p.shape[0])"),
}
DAVE = {
    "mean_squared_error": "loss = ((y_hat - y) ** 2).sum() / len(y_hat)",
    "softmax": "z = np.exp(scores - np.max(scores, axis=1)[:, None])\nprobs = z / z.sum(axis=1)[:, None]",
    "cross_entropy": ("m = scores.max(axis=1, keepdims=True)\n"
                      "lse = m[:, 0] + np.log(np.exp(scores - m).sum(axis=1))\n"
                      "loss = float(np.mean(lse - scores[np.arange(len(y)), y]))"),
    "binary_cross_entropy": "loss = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum() / len(p)",
}
FRANK = {
    "mean_squared_error": ("n = y.shape[0]\nloss = 0.0\nfor row in range(n):\n"
                           "    loss += np.sum((y_hat[row] - y[row]) ** 2)\nloss = loss / n"),
    "softmax": "probs = np.exp(scores - scores.max(1, keepdims=True))\nprobs = probs / probs.sum(1, keepdims=True)",
    "cross_entropy": ("loss = 0.0\nfor n in range(len(y)):\n    s = scores[n] - scores[n].max()\n"
                      "    loss -= s[y[n]] - np.log(np.exp(s).sum())\nloss = float(loss / len(y))"),
    "binary_cross_entropy": "loss = float(-np.mean(np.where(y == 1, np.log(p), np.log(1 - p))))",
}
BOB = {   # one wrong answer with no catalogued mistake (its message shows values), three catalogued
    "mean_squared_error": "loss = 1.1 * np.sum((y_hat - y) ** 2) / len(y)",
    "softmax": "e = np.exp(scores)\nprobs = e / e.sum(axis=1, keepdims=True)",
    "cross_entropy": ("m = scores.max(axis=1, keepdims=True)\n"
                      "lse = m[:, 0] + np.log(np.exp(scores - m).sum(axis=1))\n"
                      "loss = float(np.sum(lse - scores[np.arange(len(y)), y]))"),
    "binary_cross_entropy": "loss = np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))",
}


def answered(answers: dict) -> dict:
    nb = json.loads(LESSON.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            source = "".join(cell["source"])
            assert PLACEHOLDER in source
            cell["source"] = source.replace(PLACEHOLDER, "\n".join("    " + l for l in answers[gid].splitlines()))
    return nb


def write(path: Path, nb: dict | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("handback")
    files = {
        "alice": write(folder / "alice_02_loss.ipynb", answered(ALICE)),
        "carol": write(folder / "02_loss-carol.ipynb", answered(CAROL)),
        "dave": write(folder / "dave_02_loss.ipynb", answered(DAVE)),
        "bob": write(folder / "bob_02_loss.ipynb", answered(BOB)),
        "frank": write(folder / "submitted" / "frank" / "ps2" / "02_loss.ipynb", answered(FRANK)),
        "broken": write(folder / "broken.ipynb", '{"cells": ['),
    }
    erin = answered({})
    erin["metadata"]["backprop_course"] = {"learner": "Erin Example"}
    files["erin"] = write(folder / "homework.ipynb", erin)
    files["alice01"] = folder / "alice_01_forward_pass.ipynb"
    shutil.copyfile(ROOT / "solutions" / "01_forward_pass.ipynb", files["alice01"])
    before = {name: (p.read_bytes(), p.stat().st_mtime_ns) for name, p in files.items()}
    out = tmp_path_factory.mktemp("handback-out")
    with contextlib.redirect_stdout(io.StringIO()) as text:
        status = grading.main([str(folder), "--json", str(out / "r.json"), "--gradebook", str(out / "grades.csv"),
                               "--feedback", str(out / "feedback"), "--similarity", "--jobs", "3",
                               "--solutions", str(ROOT / "solutions")])
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return {"status": status, "text": text.getvalue(), "files": files, "before": before, "out": out,
            "report": json.loads((out / "r.json").read_text(encoding="utf-8")), "gradebook": rows}


# --------------------------------------------------------------------------- who the learner is

def test_learner_ids_come_from_metadata_file_name_or_folder(graded):
    learners = {Path(nb["notebook"]).name: nb["learner"] for nb in graded["report"]["notebooks"]}
    assert learners == {"alice_02_loss.ipynb": "alice", "02_loss-carol.ipynb": "carol",
                        "dave_02_loss.ipynb": "dave", "bob_02_loss.ipynb": "bob", "02_loss.ipynb": "frank",
                        "homework.ipynb": "Erin Example", "alice_01_forward_pass.ipynb": "alice",
                        "broken.ipynb": "broken"}


def test_learner_id_rules():
    lessons = [LessonSpec("02_loss", (("softmax", 1),)), LessonSpec("01_forward_pass", (("relu", 1),))]
    assert learner_id(None, Path("x/learner_07_02_loss.ipynb"), None, "02_loss", lessons) == "learner_07"
    assert learner_id(None, Path("c/alice/ps1/02_loss.ipynb"), Path("c"), "02_loss", lessons) == "alice"
    assert learner_id(None, Path("02_loss.ipynb"), None, "02_loss", lessons) == "02_loss"
    # a file given by name: the nearest folder that names a learner (JupyterHub home folders)
    assert learner_id(None, Path("/home/alice/lessons/02_loss.ipynb"), None, "02_loss", lessons) == "alice"
    assert learner_id(None, Path("collected/bob/02_loss.ipynb"), None, "02_loss", lessons) == "bob"
    assert learner_id(None, Path("/home/jovyan/lessons/02_loss.ipynb"), None, "02_loss", lessons) == "02_loss"
    assert learner_id(None, Path("notes.ipynb"), None, None, lessons) == "notes"
    nb, _ = parse(json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": [],
                              "metadata": {"backprop_course": {"learner": "  Zoë   K. "}}}).encode(), "f")
    assert learner_id(nb, Path("a_02_loss.ipynb"), None, "02_loss", lessons) == "Zoë K."


# --------------------------------------------------------------------------- feedback files

def test_one_markdown_and_one_html_file_per_learner(graded):
    folder = graded["out"] / "feedback"
    names = sorted(p.name for p in folder.iterdir())
    learners = ["Erin_Example", "alice", "bob", "broken", "carol", "dave", "frank"]
    assert names == sorted([f"{n}.md" for n in learners] + [f"{n}.html" for n in learners])
    assert "(feedback for 7 learner(s) written to" in graded["text"]
    alice = (folder / "alice.md").read_text(encoding="utf-8")
    assert "## 01_forward_pass: 6 of 6 points" in alice and "## 02_loss: 4 of 4 points" in alice


def test_feedback_has_verdicts_points_mistakes_and_hints(graded):
    bob = (graded["out"] / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert "## 02_loss: 0 of 4 points" in bob
    assert "| `softmax` | ✘ wrong: softmax without subtracting the max (overflow on large logits) | 0/1 |" in bob
    assert "Subtract each row's maximum first" in bob                   # the mistake's explanation
    assert "**`mean_squared_error`**: loss differs from the expected value" in bob
    erin = (graded["out"] / "feedback" / "Erin_Example.md").read_text(encoding="utf-8")
    assert "| `softmax` | … not done yet | 0/1 |" in erin and "Replace the two placeholder lines" in erin


def test_feedback_shows_no_value_of_the_hidden_cases(graded):
    report = graded["report"]
    bob = next(nb for nb in report["notebooks"] if nb["learner"] == "bob")
    message = {e["grade_id"]: e for e in bob["exercises"]}["mean_squared_error"]["message"]
    values = re.findall(r"-?\d+\.\d+", message)
    assert values, message                                # the instructor's report shows them
    for suffix in (".md", ".html"):
        text = (graded["out"] / "feedback" / f"bob{suffix}").read_text(encoding="utf-8")
        assert not [v for v in values if v in text]


def test_html_feedback_is_self_contained(graded):
    page = (graded["out"] / "feedback" / "bob.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page and "<style>" in page
    for outside in ("<script", "<link", "src=", "http://", "https://", "@import"):
        assert outside not in page
    assert "softmax without subtracting the max" in page and "&lt;" not in page.split("<body>")[0]


def test_the_originals_are_untouched(graded):
    for name, path in graded["files"].items():
        assert (path.read_bytes(), path.stat().st_mtime_ns) == graded["before"][name], name


# --------------------------------------------------------------------------- the gradebook

def test_gradebook_has_a_row_per_learner_a_column_per_lesson_and_a_total(graded):
    assert graded["status"] == 0
    header, *rows = graded["gradebook"]
    assert header == ["Learner", "01_forward_pass", "02_loss", "Total"]
    assert rows == [["alice", "6", "4", "10"], ["bob", "-", "0", "0"], ["broken", "-", "-", "0"],
                    ["carol", "-", "4", "4"], ["dave", "-", "4", "4"], ["Erin Example", "-", "0", "0"],
                    ["frank", "-", "4", "4"]]
    assert "! broken: broken.ipynb could not be graded, so it counts for no lesson" in graded["text"]


# --------------------------------------------------------------------------- similarity

def test_the_copied_pair_is_listed_and_independent_answers_are_not(graded):
    pairs = graded["report"]["similarity"]
    assert [sorted(p["learners"]) for p in pairs] == [["alice", "carol"]]
    pair = pairs[0]
    assert pair["score"] >= 0.9 and pair["lesson"] == "02_loss"
    assert sorted(pair["alike"]) == sorted(ALICE)
    assert re.search(r"\n  \d\.\d\d  (alice ~ carol|carol ~ alice)  \(02_loss; cells alike: ", graded["text"])
    assert "a pointer to look at, never a verdict" in graded["text"]


def test_normalising_ignores_names_literals_comments_and_spacing():
    a = normalised_tokens("total = np.sum(x * 2.0)  # sum\n\nresult = total / len(x)")
    b = normalised_tokens("s=np.sum(values*3)\nout   =   s/len(values)")
    assert a == b and "sum" in a and "len" in a and "v" in a
    assert normalised_tokens("y = np.max(x)") != normalised_tokens("y = np.min(x)")


def test_lines_of_the_lesson_are_not_the_learners():
    stub = 'def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n    return out'
    mine = 'def f(x):\n    """Doc."""\n    # first the square\n    out = x ** 2\n    return out'
    assert learner_lines(mine, stub) == "    out = x ** 2"


def test_similarity_needs_enough_code_and_never_pairs_a_learner_with_themself():
    class Nb:
        def __init__(self, learner, sources):
            self.learner, self.sources, self.lesson, self.graded, self.path = learner, sources, "L", True, learner

    long = "a = x + 1\nb = a * 2\nc = b - a\nd = c / b\ne = d ** 2\nout = e + a + b + c"
    tiny = "out = x"
    assert similar_pairs([Nb("p", {"e": tiny}), Nb("q", {"e": tiny})], {}) == []
    assert similar_pairs([Nb("p", {"e": long}), Nb("p", {"e": long})], {}) == []
    [pair] = similar_pairs([Nb("p", {"e": long}), Nb("q", {"e": long.replace("x", "inp")})], {})
    assert pair["score"] == 1.0 and pair["alike"] == ["e"]


def test_similarity_and_seed_options_on_the_command_line(tmp_path, capsys):
    import argparse
    parser = argparse.ArgumentParser()
    grading.add_grade_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["grade", "a.ipynb", "--similarity"])
    assert (args.similarity, args.seed, args.feedback, args.gradebook) == (0.8, None, None, None)
    args = parser.parse_args(["grade", "a.ipynb", "--similarity", "0.6", "--seed", "5", "--feedback", "fb",
                              "--gradebook", "g.csv"])
    assert (args.similarity, args.seed, args.feedback, args.gradebook) == (0.6, 5, "fb", "g.csv")
    notebook = write(tmp_path / "a.ipynb", answered({}))
    assert grading.main([str(notebook), "--similarity", "2"]) == 2
    assert "similarity must be True, False or a threshold in (0, 1], got 2.0" in capsys.readouterr().err
