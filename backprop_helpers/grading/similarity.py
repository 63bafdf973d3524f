"""Pairs of learners whose exercise cells are nearly identical (``grade --similarity``).

A pointer for the instructor, never a verdict: short exercises have few good answers, and two
learners may write the same lines on their own. The comparison:

1. each exercise cell is reduced to the lines the learner wrote: the lines of the lesson's own cell
   (the ``def`` line, the docstring, the ``return`` line, the placeholder) are taken out;
2. those lines are cut into tokens with ``tokenize`` and normalised: every name becomes ``v``
   (keywords, builtins and attribute names after a dot stay), every number ``0`` and every string
   ``s``; comments, blank lines and indentation go, so renaming variables, changing constants or
   reformatting changes nothing;
3. each notebook becomes the set of its runs of ``K`` tokens (k-grams), per exercise; runs that more
   than half of the lesson's notebooks share (the obvious way to write it) are left out, as MOSS
   leaves out code common to many programs;
4. two notebooks of the same lesson score the Jaccard index of their sets, |A and B| / |A or B|;
   pairs scoring ``threshold`` or more are listed, highest first, with the exercises whose cells
   are alike.
"""
from __future__ import annotations

import builtins
import io
import keyword
import re
import textwrap
import tokenize
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

__all__ = ["normalised_tokens", "learner_lines", "lesson_stubs", "similar_pairs", "K", "THRESHOLD"]

K = 5                 # tokens per k-gram
THRESHOLD = 0.8       # the score from which a pair is listed
MIN_GRAMS = 6         # fewer learner-written k-grams than this: too little code to compare
_BUILTINS = set(dir(builtins))
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
         tokenize.ENCODING, tokenize.ENDMARKER}
_KINDS = {tokenize.NAME: "name", tokenize.NUMBER: "number", tokenize.STRING: "string"}
_FALLBACK = re.compile(r"[A-Za-z_]\w*|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+|\"[^\"\n]*\"|'[^'\n]*'|\*\*|//|"
                       r"[-+*/@%<>=!]=|\S")


def _normal(kind: str, text: str, previous: str) -> str:
    if kind == "name":
        if keyword.iskeyword(text) or text in _BUILTINS or previous == ".":
            return text
        return "v"
    return {"number": "0", "string": "s"}.get(kind, text)


def normalised_tokens(source: str) -> list[str]:
    """The tokens of ``source`` with names, numbers and strings normalised (see the module's text)."""
    text = textwrap.dedent(source)
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in _SKIP:
                continue
            kind = _KINDS.get(tok.type, "op")
            out.append(_normal(kind, tok.string, out[-1] if out else ""))
        return out
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        for piece in _FALLBACK.findall(line):
            kind = ("name" if piece[0].isalpha() or piece[0] == "_" else
                    "number" if piece[0].isdigit() or (piece[0] == "." and len(piece) > 1) else
                    "string" if piece[0] in "\"'" else "op")
            out.append(_normal(kind, piece, out[-1] if out else ""))
    return out


def learner_lines(source: str, stub: str | None) -> str:
    """The lines of an exercise cell that are not the lesson's own (nor blank, nor only a comment)."""
    given = {line.strip() for line in (stub or "").splitlines()}
    kept = [line for line in source.splitlines()
            if line.strip() and not line.strip().startswith("#") and line.strip() not in given]
    return "\n".join(kept)


def lesson_stubs(folder: str | Path) -> dict[tuple[str, str], str]:
    """``{(lesson, grade_id): the exercise cell as learners get it}`` from the solution notebooks."""
    from ..course.notebook import build_lesson, exercises, notebook_paths, read_notebook
    stubs = {}
    for path in notebook_paths(folder):
        try:
            lesson = build_lesson(read_notebook(path), name=str(path))
            for ex in exercises(lesson, name=str(path)):
                stubs[(path.stem, ex.grade_id)] = lesson.cells[ex.cell_index].source
        except (ValueError, TypeError, OSError):
            continue
    return stubs


def _grams(tokens: list[str]) -> set[tuple]:
    if not tokens:
        return set()
    if len(tokens) <= K:
        return {tuple(tokens)}
    return {tuple(tokens[i:i + K]) for i in range(len(tokens) - K + 1)}


def similar_pairs(notebooks: list[Any], stubs: dict, threshold: float = THRESHOLD) -> list[dict]:
    """The pairs of graded notebooks (``NotebookGrade`` with ``sources``) scoring ``threshold`` or more.

    Each pair: ``{"lesson", "learners": [a, b], "notebooks": [a, b], "score", "alike": [grade_ids]}``,
    highest score first. Two notebooks of the same learner are not compared.
    """
    by_lesson: dict[str, list] = {}
    for nb in notebooks:
        if nb.graded and nb.sources:
            by_lesson.setdefault(nb.lesson, []).append(nb)
    pairs = []
    for lesson, group in sorted(by_lesson.items()):
        sets = []
        for nb in group:
            per = {gid: _grams(normalised_tokens(learner_lines(src, stubs.get((lesson, gid)))))
                   for gid, src in nb.sources.items()}
            sets.append(per)
        counts = Counter((gid, g) for per in sets for gid, grams in per.items() for g in grams)
        common = {key for key, n in counts.items() if n > max(2, len(group) / 2)}
        keyed = [{(gid, g) for gid, grams in per.items() for g in grams} - common for per in sets]
        for i, j in combinations(range(len(group)), 2):
            a, b = keyed[i], keyed[j]
            if len(a) < MIN_GRAMS or len(b) < MIN_GRAMS or group[i].learner == group[j].learner:
                continue
            score = len(a & b) / len(a | b)
            if score < threshold:
                continue
            alike = []
            for gid in sets[i]:
                x = {g for g in sets[i][gid] if (gid, g) not in common}
                y = {g for g in sets[j].get(gid, ()) if (gid, g) not in common}
                if x and y and len(x & y) / len(x | y) >= threshold:
                    alike.append(gid)
            pairs.append({"lesson": lesson, "learners": [group[i].learner, group[j].learner],
                          "notebooks": [group[i].path, group[j].path], "score": round(score, 3),
                          "alike": alike})
    return sorted(pairs, key=lambda p: (-p["score"], p["lesson"], p["learners"]))
