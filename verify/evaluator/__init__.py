"""A NumPy evaluator of the preference-training core: sequence log-probs, losses, gradients, bandits.

Everything here is plain NumPy (float64 by default), each function beside its closed-form
gradient, and checked against the symbolic derivations and finite differences in the tests.

- :mod:`verify.evaluator.logps` — log-softmax, gathered label log-probs, masked sums/means and
  their gradient with respect to the logits;
- :mod:`verify.evaluator.losses` — the preference-loss family with analytic gradients with respect
  to the policy log-probs, and the rewards by each loss's own definition;
- :mod:`verify.evaluator.batch` — reading and validating ``.npz`` batches (never pickles; TRL's
  key names understood);
- :mod:`verify.evaluator.crosscheck` — one batch through a loss: losses, gradients, the metrics
  trainers log; :mod:`verify.evaluator.metrics` — a trainer's logged metrics compared with them;
- :mod:`verify.evaluator.bandits`, :mod:`verify.evaluator.optimizers` — small policies and
  optimizers for reproducing papers' experiments.
"""
