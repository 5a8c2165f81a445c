"""The garbage collector of `inbound up`'s process, told what lives as long as the process.

CPython's cyclic collector walks every tracked object of the generations it collects; a
full collection walks them all. `inbound up` holds moto's backends, botocore's service
models and its modules (half a million objects once started), and a burst adds moto's
items: the ten full collections of a 300-mail burst cost 1.9 s of the process's 15 s. What
exists once the stack is up (modules, models, the provisioned and restored resources) stays
until the process ends, so it is frozen out of the collector's walks (`gc.freeze`, as
long-running servers do after start), and a full collection waits for ten times as many
younger collections as CPython's default (its other condition, a quarter more long-lived
objects since the last one, still holds). Garbage is still collected, cycles included,
only less often; objects freed by their reference count, most of them, are not affected.

Until then (`hold`) the collector does not run at all: start-up (imports, botocore's service
models, moto's backends, provisioning, the restore) mostly adds objects that live on, and
each collection walked all of them again: a start and stop of `inbound up` with its two
Lambda containers (which hold the same way while importing the app) took 4.8 s of CPU, 3.8 s
without. `settle` collects once what start-up left (a start's peak memory: +40 MB).
"""

from __future__ import annotations

import gc

FULL_EVERY = 100  # younger (generation 1) collections per full one; CPython's default: 10


def hold() -> None:
    """While starting: no collections (`settle` ends it)."""
    gc.disable()


def settle() -> None:
    """Once the stack is up: collect what start-up left, freeze the rest, space full collections."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_EVERY)
    gc.enable()
