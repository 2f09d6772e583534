"""welzijnsim simulation core: city data → population → weekly simulation → results.

Nothing in this package imports `scenarios`, `analysis` or the app.
"""

from sim.city import City, load_city
from sim.model import WelzijnModel, run_model

__all__ = ["City", "load_city", "WelzijnModel", "run_model"]
