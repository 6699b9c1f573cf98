"""The calculator engine: a safe Decimal formula language, parameter schema, compile-once evaluation.

Pure Python (no Flask, no database): app/services/calculators feeds it the stored definitions and
an Environment that reads lookup tables and catalog costs.
"""

from app.calculators.compiler import Compiled, Evaluation, compile_definition, evaluate
from app.calculators.errors import CalcError, CalcProblem
from app.calculators.evaluator import Environment
from app.calculators.schema import Param, validate_inputs

__all__ = ["CalcError", "CalcProblem", "Compiled", "Environment", "Evaluation", "Param", "compile_definition",
           "evaluate", "validate_inputs"]
