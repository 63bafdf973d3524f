"""The instructor's command line: ``python -m backprop_helpers <command>`` (or ``backprop-helpers``).

Commands:

- ``build [--force]``  regenerate ``lessons/`` from ``solutions/``;
- ``check``            lessons in sync with solutions, no solution text in a lesson, every exercise
  named by a grade_id; exit status 0 when clean, 1 otherwise.

Paths are ``solutions/`` and ``lessons/`` under ``--root`` (default: the current directory).
Add a command by writing ``_cmd_<name>(args) -> int`` and registering it in ``_parser``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from backprop_helpers import course

__all__ = ["main"]


def _folders(args: argparse.Namespace) -> tuple[Path, Path]:
    root = Path(args.root)
    return root / "solutions", root / "lessons"


def _cmd_build(args: argparse.Namespace) -> int:
    solutions, lessons = _folders(args)
    if not solutions.is_dir():
        print(f"build: there is no folder {solutions}/; run from the repository root or pass --root DIR",
              file=sys.stderr)
        return 1
    sources = course.notebook_paths(solutions)
    if not sources:
        print(f"build: no notebooks in {solutions}/ yet: nothing to build")
        return 0
    try:
        written = course.build(solutions, lessons, force=args.force)
    except (ValueError, OSError) as exc:
        print(f"build: nothing was written, because {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"build: {len(written)} lesson(s) written, {len(sources) - len(written)} already up to date")
    names = {p.name for p in sources}
    for extra in course.notebook_paths(lessons):
        if extra.name not in names:
            print(f"build: note: {extra} has no solution notebook; remove it or add the solution")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    solutions, lessons = _folders(args)
    if not solutions.is_dir():
        print(f"check: there is no folder {solutions}/; run from the repository root or pass --root DIR")
        return 1
    sources = course.notebook_paths(solutions)
    if not sources and not course.notebook_paths(lessons):
        print(f"check: no notebooks in {solutions}/ or {lessons}/ yet: nothing to check; all checks passed")
        return 0
    problems: dict[str, str] = {}  # one line per problem, even when several checks meet it
    for found in (course.lessons_in_sync(solutions, lessons), course.solution_leaks(solutions, lessons),
                  course.grade_id_problems(solutions)):
        for problem in found:
            problems.setdefault(_without_function_name(problem), problem)
    if problems:
        print(f"check: {len(problems)} problem(s) found:")
        for problem in problems.values():
            print(f"  - {problem}")
        return 1
    print(f"check: {len(sources)} solution notebook(s), lessons in sync, no solution text in a lesson, "
          f"every exercise has a grade_id: all checks passed")
    return 0


def _without_function_name(problem: str) -> str:
    """A broken marker is reported by each check, each naming itself first; compare what follows."""
    function, _, rest = problem.partition(": ")
    return rest if function in ("build_lesson", "solution_leaks", "grade_id_problems") else problem


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m backprop_helpers",
        description="The course's instructor tools: lessons/ is generated from solutions/, and checked.")
    root_help = "the repository folder holding solutions/ and lessons/ (default: the current folder)"
    parser.add_argument("--root", default=".", metavar="DIR", help=root_help)
    # Repeated on each command (so `check --root DIR` works too), without overriding the global one.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=argparse.SUPPRESS, metavar="DIR", help=root_help)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    build = commands.add_parser("build", parents=[common], help="regenerate lessons/ from solutions/",
                                description="Regenerate every lesson from its solution notebook.")
    build.add_argument("--force", action="store_true",
                       help="overwrite lessons even if edited by hand (today build always overwrites)")
    build.set_defaults(func=_cmd_build)

    check = commands.add_parser(
        "check", parents=[common], help="check that lessons/ is in sync with solutions/ and leaks nothing",
        description="Check: every lesson exists and matches a fresh build, no solution or hidden-test "
                    "line appears in a lesson, every exercise has a grade_id. Exit status 0 when clean.")
    check.set_defaults(func=_cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
