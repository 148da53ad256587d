"""Coverage and underserved-neighbourhood analysis (no web framework here).

The CLI, the API and the tests call the same functions::

    inputs = from_store(store)
    result = diagnose(inputs, make_parameters(defi="inclusion", ring_m=500))
"""

from .diagnostic import METHOD, Diagnostic, diagnose
from .inputs import Inputs, from_store, make_inputs
from .params import COMPONENTS, DEFAULT_WEIGHTS, DEFIS, Parameters, make_parameters, parse_weights

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "DEFIS",
    "METHOD",
    "Diagnostic",
    "Inputs",
    "Parameters",
    "diagnose",
    "from_store",
    "make_inputs",
    "make_parameters",
    "parse_weights",
]
