"""Settings for every pytest run from the repository root, including nbval runs of solutions/ and lessons/
(which do not read tests/conftest.py): tests never write a learner's progress file, and numpy's BLAS
uses one thread, as in `make test`."""
import os

os.environ.setdefault("BACKPROP_PROGRESS", "off")
os.environ.setdefault("BACKPROP_BLAS_THREADS", "1")
