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
        out[order] = np.concatenate([draw(self._gens[g], int(counts[g])) for g in np.flatnonzero(counts)])
        return out

    def random(self, groups: np.ndarray) -> np.ndarray:
        """One uniform draw per element, from the stream of its group."""
        return self._per_group(groups, lambda gen, n: gen.random(n))

    def geometric(self, p: float, groups: np.ndarray) -> np.ndarray:
        return self._per_group(groups, lambda gen, n: gen.geometric(p, size=n)).astype(np.int64)


class GroupUniforms(GroupStreams):
    """Group streams used for uniform draws only, drawn ahead in blocks: the same numbers as `GroupStreams`.

    A generator's `random(a)` then `random(b)` gives the same numbers as `random(a + b)` split in two (one
    64-bit output per double, nothing carried over), so each group's stream can be drawn a block at a time
    and handed out in order. That turns a Python loop over the groups into a few array operations per call,
    which matters for streams called several times a week with a handful of draws per group.
    """

    BLOCK = 1024

    def __init__(self, streams: Streams, name: str, n_groups: int):
        super().__init__(streams, name, n_groups)
        self._block = np.empty((n_groups, 0))
        self._used = np.zeros(n_groups, dtype=np.intp)  # draws handed out from each group's block

    def _refill(self, counts: np.ndarray) -> None:
        # Every group's unused rest, then fresh draws from where its stream stands: drawing ahead changes
        # nothing, as these generators serve nothing else.
        width = max(self.BLOCK, int(counts.max()), int((self._block.shape[1] - self._used).max()))
        block = np.empty((len(self._gens), width))
        for g, gen in enumerate(self._gens):
            left = self._block[g, self._used[g] :]
            block[g, : len(left)] = left
            block[g, len(left) :] = gen.random(width - len(left))
        self._block = block
        self._used[:] = 0

    def random(self, groups: np.ndarray) -> np.ndarray:
        groups = np.asarray(groups, dtype=np.intp)
        if len(groups) == 0:
            return np.empty(0)
        counts = np.bincount(groups, minlength=len(self._gens))
        end = self._used + counts
        if end.max() > self._block.shape[1]:
            self._refill(counts)
            end = self._used + counts
        # The k-th element of a group (in order) takes that group's k-th unused draw: in the groups' stable
        # order, element i of group g sits at i - first[g] within its group, so its draw is at flat position
        # g * width + used[g] - first[g] + i. (ufunc and method calls: this runs ~2,000 times a run.)
        order = groups.argsort(kind="stable")
        first = np.add.accumulate(counts) - counts
        offset = self._used - first + np.arange(len(counts)) * self._block.shape[1]
        out = np.empty(len(groups))
        out[order] = self._block.ravel()[offset[groups[order]] + np.arange(len(groups))]
        self._used = end
        return out

    def geometric(self, p: float, groups: np.ndarray) -> np.ndarray:
        raise TypeError("GroupUniforms hands out uniform draws only; use GroupStreams for other distributions")
