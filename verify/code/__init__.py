"""Checking a loss *implementation* (a NumPy or PyTorch function) against its formula and the properties.

``check_implementation(fn, against="dpo", params={"beta": 0.1})`` calls the user's function on
fuzzed float64 batches and returns a :class:`~verify.code.check.CodeReport` with the same
verdicts, property table and JSON as the loss checker. The user's module is imported and run:
it is the user's own code.
"""

from verify.code.check import CodeReport, check_implementation, check_spec

__all__ = ["CodeReport", "check_implementation", "check_spec"]
