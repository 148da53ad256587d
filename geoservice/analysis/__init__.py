"""Coverage and underserved-neighbourhood analysis (no web framework here).

The API routes, the map routes, the layers (views), the folium report maps and the CLI go
through one entry, :mod:`.service`: user text parsed once, one diagnosis per snapshot and
parameters::

    request = AnalysisRequest.parse(defi="inclusion", ring_m="500", settings=settings)
    result = run(snapshot, request)

The tests and the benchmark also call the computation itself, on inputs built by hand::

    result = diagnose(make_inputs(qpv, qpv_2015, places, besoins, stations), Parameters())
"""

from .diagnostic import METHOD, Diagnostic, diagnose
from .inputs import Inputs, from_store, make_inputs
from .params import COMPONENTS, DEFAULT_WEIGHTS, DEFIS, Parameters, make_parameters, parse_weights
from .service import AnalysisRequest, run

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "DEFIS",
    "METHOD",
    "AnalysisRequest",
    "Diagnostic",
    "Inputs",
    "Parameters",
    "diagnose",
    "from_store",
    "make_inputs",
    "make_parameters",
    "parse_weights",
    "run",
]
