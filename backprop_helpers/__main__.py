"""``python -m backprop_helpers build|check|execute|progress|grade``: see ``course/cli.py``."""
import sys

from backprop_helpers.course.cli import main

sys.exit(main())
