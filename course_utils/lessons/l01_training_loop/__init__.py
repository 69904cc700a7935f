"""Lesson 01 · The training loop: the code behind ``notebooks/01_training_loop.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``step_through``: the step-through widget;
* ``exercises``: its check-yourself exercises, imported as ``ch01``.

A notebook imports all of it in one line: ``from course_utils.lessons.l01_training_loop import *``.
"""

from . import exercises as ch01
from . import experiments, figures, step_through
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403
from .step_through import *  # noqa: F403

__all__ = [*experiments.__all__, *figures.__all__, *step_through.__all__, "ch01"]
