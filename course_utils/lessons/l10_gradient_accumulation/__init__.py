"""Lesson 10 · Gradient accumulation and data parallelism: the code behind ``notebooks/10_gradient_accumulation.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``workers``: the data-parallel worker processes and their launcher;
* ``exercises``: its check-yourself exercises, imported as ``ch10``.

A notebook imports all of it in one line: ``from course_utils.lessons.l10_gradient_accumulation import *``.
"""

from . import exercises as ch10
from . import experiments, figures
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403
from .workers import run_data_parallel

__all__ = [*experiments.__all__, *figures.__all__, "run_data_parallel", "ch10"]
