"""Calibration: fitting the hidden parameters to face targets and municipal counts, and what the data identify.

calibration.py     the optuna search, identifiability, the calibrated scenario file (`welzijnsim calibrate`);
                   `python -m analysis.calibration.calibration --example-counts FILE` writes example counts
band_narrowing.py  how much each kind of count narrows the staffing band
                   (`python -m analysis.calibration.band_narrowing`)

Modules inside `analysis` import the module that defines a name, never this package; the names below are
for scripts and notebooks.
"""

from analysis.calibration.calibration import CalibrationError, Settings, calibrate, read_counts

__all__ = ["CalibrationError", "Settings", "calibrate", "read_counts"]
