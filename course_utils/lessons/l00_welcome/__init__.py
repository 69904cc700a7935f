"""Lesson 00 · Welcome to Training Loop Lab: the code behind ``notebooks/00_welcome.ipynb``.

* ``environment``: the set-up checks;
* ``exercises``: its check-yourself exercises, imported as ``ch00``.

A notebook imports all of it in one line: ``from course_utils.lessons.l00_welcome import *``.
"""

from . import environment
from . import exercises as ch00
from .environment import *  # noqa: F403

__all__ = [*environment.__all__, "ch00"]
