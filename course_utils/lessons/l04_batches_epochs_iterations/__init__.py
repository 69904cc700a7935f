"""Lesson 04 · Batches, epochs and iterations: the code behind ``notebooks/04_batches_epochs_iterations.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``exercises``: its check-yourself exercises, imported as ``ch04``.

A notebook imports all of it in one line: ``from course_utils.lessons.l04_batches_epochs_iterations import *``.
"""

from . import exercises as ch04
from . import experiments, figures
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403

__all__ = [*experiments.__all__, *figures.__all__, "ch04"]
