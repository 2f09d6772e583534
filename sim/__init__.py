"""welzijnsim simulation core: city data → population → weekly simulation → results.

Nothing in this package imports `scenarios`, `analysis` or the app. The model (and with it Mesa) is
imported on first use, so loading a scenario or checking input stays quick.
"""

from sim.city import City, load_city

__all__ = ["City", "load_city", "WelzijnModel", "run_model"]


def __getattr__(name: str):
    if name in ("WelzijnModel", "run_model"):
        from sim import model

        return getattr(model, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
