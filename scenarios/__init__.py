"""Scenario files (TOML) and their loader."""

from scenarios.loader import Scenario, ScenarioError, load_scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario"]
