"""Jangkau: a service-reach planner for remote areas.

>>> import planner
>>> plan = planner.run(planner.load_scenario())   # the bundled Kaltara scenario
>>> plan.villages.head()                           # ranked, one row per village
>>> plan.map()                                     # the outreach map, inline in Jupyter
"""

import pkgutil
from importlib import import_module
from typing import Any

from .config import Scenario, load_scenario, scenario_from_frames
from .errors import InfeasibleError, InputError, OutputError, PlannerError

__all__ = ["Comparison", "InfeasibleError", "InputError", "OutputError", "Plan",
           "PlannerError", "Scenario", "compare", "load_scenario", "run",
           "scenario_from_frames", "validate"]
__version__ = "0.1.0"

# the heavy parts (GeoPandas, Folium, SciPy...) load on first use, so `planner --help` and
# `import planner` stay fast
_LAZY = {"Comparison": ("compare", "Comparison"), "compare": ("compare", "compare"),
         "Plan": ("pipeline", "Plan"), "run": ("pipeline", "run"),
         "validate": ("pipeline", "validate_scenario")}
# every module and subpackage of the package, found on disk (no list to keep up to date)
_SUBMODULES = frozenset(m.name for m in pkgutil.iter_modules(__path__)
                        if not m.name.startswith("_"))


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})
