"""Lesson 02 · The forward pass and the loss: the code behind ``notebooks/02_forward_and_loss.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``exercises``: its check-yourself exercises, imported as ``ch02``.

A notebook imports all of it in one line: ``from course_utils.lessons.l02_forward_and_loss import *``.
"""

from . import exercises as ch02
from . import experiments, figures
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403

__all__ = [*experiments.__all__, *figures.__all__, "ch02"]
