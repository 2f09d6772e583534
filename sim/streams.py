"""One place where randomness is created: a named, independently seeded stream per mechanism.

Each stochastic process draws from its own stream, so changing one lever (more FTE in Laak) does not
reshuffle the draws of unrelated processes (common random numbers across scenarios).
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    def __init__(self, seed: int):
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        stream = self._streams.get(name)
        if stream is None:
            # crc32 is stable across processes and Python versions, unlike hash().
            key = zlib.crc32(name.encode("utf-8"))
            stream = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(key,)))
            self._streams[name] = stream
        return stream


def replication_seeds(seed: int, n: int) -> list[int]:
    """Seeds for `n` replications derived from one study seed; the same prefix for any n."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(int(seed)).spawn(n)]


class GroupStreams:
    """One stream per group (e.g. per service point), so draws for one group do not depend on how many
    draws another group took: changing one service point's staff leaves the others' draws as they were."""

    def __init__(self, streams: Streams, name: str, n_groups: int):
        self._gens = [streams[f"{name}/{g}"] for g in range(n_groups)]

    def _per_group(self, groups: np.ndarray, draw) -> np.ndarray:
        out = np.empty(len(groups))
        if len(groups) == 0:
            return out
        # A stable sort lists each group's elements in their original order, as a mask per group would,
        # so every element gets the same draw; one sort is cheaper than one full-length mask per group.
        order = np.argsort(groups, kind="stable")
        counts = np.bincount(groups, minlength=len(self._gens))
        start = 0
        for g in np.flatnonzero(counts):
            n = int(counts[g])
            out[order[start : start + n]] = draw(self._gens[g], n)
            start += n
        return out

    def random(self, groups: np.ndarray) -> np.ndarray:
        """One uniform draw per element, from the stream of its group."""
        return self._per_group(groups, lambda gen, n: gen.random(n))

    def geometric(self, p: float, groups: np.ndarray) -> np.ndarray:
        return self._per_group(groups, lambda gen, n: gen.geometric(p, size=n)).astype(np.int64)
