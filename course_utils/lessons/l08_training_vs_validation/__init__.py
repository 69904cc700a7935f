"""Lesson 08 · Training vs validation: the code behind ``notebooks/08_training_vs_validation.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``exercises``: its check-yourself exercises, imported as ``ch08``.

A notebook imports all of it in one line: ``from course_utils.lessons.l08_training_vs_validation import *``.
"""

from . import exercises as ch08
from . import experiments, figures
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403

__all__ = [*experiments.__all__, *figures.__all__, "ch08"]
