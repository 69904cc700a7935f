"""Lesson-specific figures (the plots layer): one module per lesson, e.g. ``figures.batch_size``.

General plots used across lessons (loss per step, epoch curves, comparisons) live in
:mod:`course_utils.plots`; a figure that only one lesson draws lives here, next to its siblings.
"""
