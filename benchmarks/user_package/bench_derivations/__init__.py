"""Appendix derivations of a preference-optimization paper: DPO, IPO, SimPO, KTO and the
inequalities they rest on, each step a claim for ``python -m verify all --package bench_derivations``.

A stand-in for a user's own package (the benchmark ``benchmarks/bench_user.py`` times it cold);
about one step in seven is a documented error of a draft, expected ``refuted``.
"""
