"""Argument checks that fail with a teaching message.

Every public function of the course checks its inputs with these helpers, so a wrong value is
reported as ``ValueError``/``TypeError`` that names the argument, repeats the value it was given
and says what is allowed -- instead of a traceback from deep inside PyTorch.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import torch

__all__ = [
    "check_int",
    "check_float",
    "check_choice",
    "check_fraction",
    "check_bool",
]


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is a whole number in ``[minimum, maximum]``.

    A float such as ``32.0`` is refused too: a batch size or an epoch count is a count.
    """
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
        value = int(value.item())
    if not _is_int(value):
        kind = type(value).__name__
        hint = ""
        if isinstance(value, float) and math.isfinite(value):
            hint = f" (a count cannot be fractional; did you mean {name}={round(value)}?)"
        raise TypeError(f"{name} must be a whole number (int), but got {value!r} of type {kind}{hint}.")
    value = int(value)
    _check_range(name, value, minimum, maximum)
    return value


def check_float(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` in the allowed range.

    ``strict_minimum=True`` means the value must be *greater* than ``minimum`` (a learning rate of 0
    would never change the weights).
    """
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number, but got {value!r} of type {type(value).__name__}.")
    value = float(value)
    if not math.isfinite(value):
        allowed = _range_text(minimum, maximum, strict_minimum)
        raise ValueError(f"{name} must be a finite number, but got {value!r}.{allowed}")
    if minimum is not None and (value <= minimum if strict_minimum else value < minimum):
        raise ValueError(f"{name}={value!r} is out of range.{_range_text(minimum, maximum, strict_minimum)}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}={value!r} is out of range.{_range_text(minimum, maximum, strict_minimum)}")
    return value


def check_fraction(name: str, value: Any) -> float:
    """A number strictly between 0 and 1, such as the share of data kept for validation."""
    value = check_float(name, value, minimum=0.0, maximum=1.0, strict_minimum=True)
    if value >= 1.0:
        raise ValueError(f"{name}={value!r} is out of range. Allowed: a fraction greater than 0 and less than 1.")
    return value


def check_bool(name: str, value: Any) -> bool:
    """``value`` must be ``True`` or ``False`` (a switch such as ``shuffle``): not 0/1, not text."""
    if isinstance(value, (bool, np.bool_)):  # Python's bool or NumPy's
        return bool(value)
    raise TypeError(f"{name} must be True or False, but got {value!r} of type {type(value).__name__}.")


def check_choice(name: str, value: Any, allowed: tuple[str, ...] | list[str]) -> str:
    """``value`` must be one of the names in ``allowed``."""
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name}={value!r} is not known. Allowed: {options}.")
    return value


def _range_text(minimum: float | None, maximum: float | None, strict_minimum: bool = False) -> str:
    if minimum is None and maximum is None:
        return ""
    low = "" if minimum is None else (f"greater than {minimum}" if strict_minimum else f"at least {minimum}")
    high = "" if maximum is None else f"at most {maximum}"
    return " Allowed: " + " and ".join(p for p in (low, high) if p) + "."


def _check_range(name: str, value: int, minimum: int | None, maximum: int | None) -> None:
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name}={value!r} is out of range.{_range_text(minimum, maximum)}")
