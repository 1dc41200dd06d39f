"""Derivations transcribed from sources outside this repository's documents, with planted errors.

Each module defines ``DERIVATIONS``: true steps (``expected="holds"``) and planted-error variants
of them (``expected="refuted"``). ``tests/test_unseen_derivations.py`` checks every step and
re-evaluates every counterexample independently with mpmath.
"""
