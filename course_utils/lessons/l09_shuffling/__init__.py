"""Lesson 09 · Shuffling: the code behind ``notebooks/09_shuffling.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``exercises``: its check-yourself exercises, imported as ``ch09``.

A notebook imports all of it in one line: ``from course_utils.lessons.l09_shuffling import *``.
"""

from . import exercises as ch09
from . import experiments, figures
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403

__all__ = [*experiments.__all__, *figures.__all__, "ch09"]
