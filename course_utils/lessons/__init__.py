"""The lessons: one folder per notebook, named after it (``l05_batch_size`` serves ``notebooks/05_batch_size.ipynb``).

Each holds what only its notebook uses -- experiments, figures, exercises, and any widget of its
own -- and imports only the core (the modules directly under ``course_utils``). Lessons never
import each other: what two lessons need lives in the core. ``tests/test_layout.py`` checks both.
"""
