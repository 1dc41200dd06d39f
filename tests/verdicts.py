"""The ci profile without the diagnosis: for tests of verdicts, counterexamples and reports that are
not about repair hints or ledgers (the diagnosis runs after the verdict and never changes it, which
tests/test_diagnosis.py checks), so the suite does not pay for hints it never reads."""

from dataclasses import replace

from verify.profiles import PROFILES

VERDICTS = replace(PROFILES["ci"], diagnose=False)
