"""The trusted kernel: the only code that can decide that a claim is ``proved``.

:mod:`.obligations` (what is to be shown, and each obligation's role), :mod:`.prover` (SymPy
strategies), :mod:`.budget` (CPU-time limits) and :mod:`.verdict` (outcomes → status). It imports
nothing from searching, running, rendering or the command line.
"""
