"""Lesson 11 · Putting it together: the code behind ``notebooks/11_putting_it_together.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``exercises``: its check-yourself exercises, imported as ``ch11``.

A notebook imports all of it in one line: ``from course_utils.lessons.l11_putting_it_together import *``.
"""

from . import exercises as ch11
from . import experiments, figures
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403

__all__ = [*experiments.__all__, *figures.__all__, "ch11"]
