"""Lesson 06 · Noisy loss and convergence: the code behind ``notebooks/06_noisy_loss_and_convergence.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``exercises``: its check-yourself exercises, imported as ``ch06``.

A notebook imports all of it in one line: ``from course_utils.lessons.l06_noisy_loss_and_convergence import *``.
"""

from . import exercises as ch06
from . import experiments, figures
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403

__all__ = [*experiments.__all__, *figures.__all__, "ch06"]
