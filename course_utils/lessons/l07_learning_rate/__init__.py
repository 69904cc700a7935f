"""Lesson 07 · The learning rate: the code behind ``notebooks/07_learning_rate.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``exercises``: its check-yourself exercises, imported as ``ch07``.

A notebook imports all of it in one line: ``from course_utils.lessons.l07_learning_rate import *``.
"""

from . import exercises as ch07
from . import experiments, figures
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403

__all__ = [*experiments.__all__, *figures.__all__, "ch07"]
