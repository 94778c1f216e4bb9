"""Keep freed memory in the process on a CPU, so a training step does not page-fault.

Every step allocates and frees the same large buffers: the gradient of the 28 M-entry tied
embedding, the vocabulary-wide logits and their gradients, the bf16 copies of the weights.
glibc hands blocks above its mmap threshold back to the kernel when they are freed, and the
next step touches each of their 4 KiB pages again, a page fault apiece: about 150 000 faults
per GD step of the embedded model (0.6 GB of memory cleared by the kernel), a fifth to a third
of the step on a virtual machine. Served from the heap and never trimmed, the same blocks are
reused without faults; the price is that the process keeps its peak memory until it exits,
which the next step needs anyway.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_MAX = -4


@functools.cache
def keep_freed_memory() -> bool:
    """Serve every allocation from the heap and never trim it (glibc only; elsewhere a no-op).
    Returns whether the setting took."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt, _ = libc.mallopt, libc.gnu_get_libc_version  # glibc, not musl or macOS
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1))
