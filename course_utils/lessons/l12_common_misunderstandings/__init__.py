"""Lesson 12 · Common misunderstandings: the code behind ``notebooks/12_common_misunderstandings.ipynb``.

* ``experiments``: the seeded experiments behind its numbers and sliders;
* ``figures``: its figures;
* ``quiz_widget``: the quiz widget;
* ``exercises``: its check-yourself exercises, imported as ``ch12``.

A notebook imports all of it in one line: ``from course_utils.lessons.l12_common_misunderstandings import *``.
"""

from . import exercises as ch12
from . import experiments, figures, quiz_widget
from .experiments import *  # noqa: F403
from .figures import *  # noqa: F403
from .quiz_widget import *  # noqa: F403

__all__ = [*experiments.__all__, *figures.__all__, *quiz_widget.__all__, "ch12"]
