"""Jangkau: a service-reach planner for remote areas.

>>> import planner
>>> plan = planner.run(planner.load_scenario())   # the bundled Kaltara scenario
>>> plan.villages.head()                           # ranked, one row per village
>>> plan.map()                                     # the outreach map, inline in Jupyter
"""

from .compare import Comparison, compare
from .config import Scenario, load_scenario
from .errors import InfeasibleError, InputError, PlannerError
from .pipeline import Plan, run
from .pipeline import validate_scenario as validate

__all__ = ["Comparison", "InfeasibleError", "InputError", "Plan", "PlannerError", "Scenario",
           "compare", "load_scenario", "run", "validate"]
__version__ = "0.1.0"
