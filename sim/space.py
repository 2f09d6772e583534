"""Space: one Mesa grid per stadsdeel with property layers, plus flat city-wide cell arrays.

The grids (Mesa ``discrete_space``) carry the layers density, deprivation and overcrowding for
views and for agents placed on cells (service points). Vectorised code uses the flat arrays, which
hold the same numbers indexed by a global cell id (stadsdeel offset + row-major local index).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid
from mesa.discrete_space.property_layer import PropertyLayer

LAYERS = ("density", "deprivation", "overcrowding")


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], passes: int = 2) -> np.ndarray:
    """A spatially correlated standard-normal-ish field: white noise blurred with a 3x3 box."""
    z = rng.standard_normal(shape)
    for _ in range(passes):
        padded = np.pad(z, 1, mode="edge")
        z = sum(padded[i : i + shape[0], j : j + shape[1]] for i in range(3) for j in range(3)) / 9.0
    return (z - z.mean()) / (z.std() + 1e-12)


def _normalise(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Scale `x` so that its `weights`-weighted mean is 1."""
    return x / (np.sum(x * weights) / np.sum(weights))


@dataclass
class CitySpace:
    grids: list[OrthogonalMooreGrid]
    cell_offset: np.ndarray  # first global cell id per stadsdeel
    cell_district: np.ndarray  # stadsdeel index per global cell
    cell_xy: np.ndarray  # (n_cells, 2) local grid coordinates
    density: np.ndarray  # relative, mean 1 within a stadsdeel
    deprivation: np.ndarray  # relative, density-weighted mean 1 within a stadsdeel
    overcrowding: np.ndarray  # relative, density-weighted mean 1 within a stadsdeel

    @property
    def n_cells(self) -> int:
        return len(self.cell_district)

    def cells_of(self, district: int) -> np.ndarray:
        return np.flatnonzero(self.cell_district == district)

    def cell_object(self, cell_id: int):
        """The Mesa cell for a global cell id."""
        d = int(self.cell_district[cell_id])
        x, y = (int(v) for v in self.cell_xy[cell_id])
        return self.grids[d]._cells[(x, y)]


def build_space(
    wijken: np.ndarray,
    cells_per_wijk: int,
    deprivation_contrast: float,
    overcrowding_contrast: float,
    rng: np.random.Generator,
) -> CitySpace:
    grids, offsets, districts, xys = [], [], [], []
    dens, depr, over = [], [], []
    offset = 0
    for d, n_wijken in enumerate(wijken):
        side = max(2, math.ceil(math.sqrt(int(n_wijken) * cells_per_wijk)))
        shape = (side, side)
        # Mesa grids want a stdlib Random; seed it from our stream so the grid is reproducible.
        grid = OrthogonalMooreGrid(shape, torus=False, random=random.Random(int(rng.integers(2**31))))
        z_density = _smooth_field(rng, shape)
        z_deprivation = _smooth_field(rng, shape)
        z_crowding = _smooth_field(rng, shape)
        density = np.exp(0.8 * z_density)
        density /= density.mean()
        deprivation = _normalise(np.exp(0.5 * deprivation_contrast * z_deprivation), density)
        # Overcrowding follows deprivation and density, with its own local variation.
        crowd_z = 0.6 * z_deprivation + 0.3 * z_density + 0.5 * z_crowding
        overcrowding = _normalise(np.exp(0.5 * overcrowding_contrast * crowd_z), density)
        for name, values in zip(LAYERS, (density, deprivation, overcrowding)):
            grid.add_property_layer(PropertyLayer.from_data(name, values.astype(float)))
        grids.append(grid)
        offsets.append(offset)
        n = side * side
        districts.append(np.full(n, d, dtype=np.int16))
        xs, ys = np.unravel_index(np.arange(n), shape)
        xys.append(np.column_stack([xs, ys]).astype(np.int16))
        dens.append(density.ravel())
        depr.append(deprivation.ravel())
        over.append(overcrowding.ravel())
        offset += n
    return CitySpace(
        grids=grids,
        cell_offset=np.array(offsets, dtype=np.int64),
        cell_district=np.concatenate(districts),
        cell_xy=np.concatenate(xys),
        density=np.concatenate(dens),
        deprivation=np.concatenate(depr),
        overcrowding=np.concatenate(over),
    )


def place_sites(space: CitySpace, sites_per_district: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Global cell ids of service point sites: drawn per stadsdeel, favouring dense, deprived cells."""
    sites = []
    for d, k in enumerate(sites_per_district):
        cells = space.cells_of(d)
        w = space.density[cells] * space.deprivation[cells]
        chosen = rng.choice(cells, size=int(k), replace=False, p=w / w.sum())
        sites.extend(sorted(int(c) for c in chosen))
    return np.array(sites, dtype=np.int64)


def catchment(space: CitySpace, site_cells: np.ndarray) -> np.ndarray:
    """For each global cell, the index (into `site_cells`) of the nearest site in its own stadsdeel."""
    out = np.empty(space.n_cells, dtype=np.int16)
    site_district = space.cell_district[site_cells]
    for d in range(len(space.grids)):
        cells = space.cells_of(d)
        local_sites = np.flatnonzero(site_district == d)
        diff = space.cell_xy[cells][:, None, :].astype(float) - space.cell_xy[site_cells[local_sites]][None, :, :]
        out[cells] = local_sites[np.argmin((diff**2).sum(axis=2), axis=1)]
    return out
