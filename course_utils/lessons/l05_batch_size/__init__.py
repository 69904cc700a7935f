"""Lesson 05 · Batch size: the code behind ``notebooks/05_batch_size.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``exercises``: its check-yourself exercises, imported as ``ch05``.

A notebook imports all of it in one line: ``from course_utils.lessons.l05_batch_size import *``.
"""

from . import exercises as ch05
from . import experiments, figures
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403

__all__ = [*experiments.__all__, *figures.__all__, "ch05"]
