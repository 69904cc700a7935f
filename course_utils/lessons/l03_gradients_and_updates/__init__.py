"""Lesson 03 · Gradients and updates: the code behind ``notebooks/03_gradients_and_updates.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``exercises``: its check-yourself exercises, imported as ``ch03``.

A notebook imports all of it in one line: ``from course_utils.lessons.l03_gradients_and_updates import *``.
"""

from . import exercises as ch03
from . import experiments, figures
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403

__all__ = [*experiments.__all__, *figures.__all__, "ch03"]
