"""Reproducibility: seeds, private generators, and the pinned CPU numerics."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest
import torch

from course_utils.repro import PINNED_CPU_NUMERICS, make_generator, seed_everything

ON_AVX2_X86 = platform.machine().lower() in {"x86_64", "amd64"} and torch.cpu._is_avx2_supported()


def _fresh_python(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in PINNED_CPU_NUMERICS}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.strip()


def test_seed_everything_repeats_torch_draws():
    seed_everything(3)
    a = torch.rand(4)
    seed_everything(3)
    assert torch.equal(a, torch.rand(4))


def test_make_generator_is_private():
    a = torch.rand(3, generator=make_generator(1))
    torch.manual_seed(99)  # the global generator does not touch a private one
    assert torch.equal(a, torch.rand(3, generator=make_generator(1)))


@pytest.mark.skipif(not ON_AVX2_X86, reason="the AVX2 code paths are pinned only on x86-64 CPUs with AVX2")
def test_importing_course_utils_pins_the_avx2_kernels_even_after_import_torch():
    # A notebook imports torch before course_utils: the pin must still win, since it comes before any op.
    out = _fresh_python(
        "import os, torch, course_utils; print(torch.backends.cpu.get_cpu_capability(), os.environ['MKL_CBWR'])"
    )
    assert out == "AVX2 AVX2"


@pytest.mark.skipif(not ON_AVX2_X86, reason="the AVX2 code paths are pinned only on x86-64 CPUs with AVX2")
def test_a_value_the_learner_set_is_left_alone():
    out = _fresh_python("import torch, course_utils; print(torch.backends.cpu.get_cpu_capability())",
                        ATEN_CPU_CAPABILITY="default")  # fmt: skip
    assert out == "DEFAULT"


@pytest.mark.skipif(not ON_AVX2_X86, reason="the AVX2 code paths are pinned only on x86-64 CPUs with AVX2")
def test_the_pin_changes_nothing_on_a_machine_whose_numbers_are_already_avx2():
    # What the pin is for: a matrix product after `import course_utils` equals one computed with the
    # variables set from the start, bit for bit (on an AVX-512 machine, without them it need not).
    code = (
        "import torch, course_utils; g = torch.Generator().manual_seed(0); "
        "a = torch.randn(300, 200, generator=g); b = torch.randn(200, 300, generator=g); "
        "print(repr(float((a @ b).sum())))"
    )
    assert _fresh_python(code) == _fresh_python(code, **PINNED_CPU_NUMERICS)
