"""One batch through the training core: sequence log-probs, a loss, its gradients, the metrics.

The metrics are those trainers log, under TRL's names (:data:`METRICS`): the mean loss, the mean
rewards by the loss's own definition (see :mod:`verify.evaluator.losses`), the reward accuracy
and margin, and the mean sequence log-probs the loss works with (token means for SimPO, ORPO).

The gradient reported is that of the *mean* loss over the pairs: with respect to the policy
log-probs (``∂L̄/∂π_w = (1/B)·∂L_b/∂π_w``) and, in the logits form, with respect to the policy
logits through :func:`verify.evaluator.logps.sequence_logps_vjp`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from verify.evaluator.batch import SIDES, Batch
from verify.evaluator.logps import sequence_logps, sequence_logps_vjp
from verify.evaluator.losses import Pairs, evaluate, get_loss, loss_logps, reward_metrics

#: the metrics a trainer logs (TRL's names), all recomputed by :meth:`CrosscheckResult.metrics`
METRICS = (
    "loss",
    "rewards/chosen",
    "rewards/rejected",
    "rewards/accuracies",
    "rewards/margins",
    "logps/chosen",
    "logps/rejected",
)


@dataclass
class CrosscheckResult:
    loss_name: str
    beta: float
    params: dict[str, float]
    form: str
    losses: np.ndarray
    chosen_rewards: np.ndarray
    rejected_rewards: np.ndarray
    reward_accuracy: float
    reward_margin: float
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    policy_logps: dict[str, np.ndarray] = field(default_factory=dict)
    #: the sequence log-probs the loss works with (token means for SimPO and ORPO), per side
    loss_logps: dict[str, np.ndarray] = field(default_factory=dict)
    #: how the rewards are defined, e.g. ``β·(π − π_ref)``
    reward_definition: str = ""

    @property
    def loss(self) -> float:
        return float(np.mean(self.losses))

    def metrics(self) -> dict[str, float]:
        """The batch means a trainer logs, by TRL's names (:data:`METRICS`)."""
        return {
            "loss": self.loss,
            "rewards/chosen": float(np.mean(self.chosen_rewards)),
            "rewards/rejected": float(np.mean(self.rejected_rewards)),
            "rewards/accuracies": self.reward_accuracy,
            "rewards/margins": self.reward_margin,
            "logps/chosen": float(np.mean(self.loss_logps["chosen"])),
            "logps/rejected": float(np.mean(self.loss_logps["rejected"])),
        }

    def to_json(self) -> dict[str, object]:
        return {
            "loss_name": self.loss_name,
            "beta": self.beta,
            "params": self.params,
            "form": self.form,
            "pairs": int(self.losses.shape[0]),
            "loss": self.loss,
            "losses": self.losses.tolist(),
            "chosen_rewards": self.chosen_rewards.tolist(),
            "rejected_rewards": self.rejected_rewards.tolist(),
            "reward_accuracy": self.reward_accuracy,
            "reward_margin": self.reward_margin,
            "reward_definition": self.reward_definition,
            "metrics": self.metrics(),
            "policy_chosen_logps": self.policy_logps["chosen"].tolist(),
            "policy_rejected_logps": self.policy_logps["rejected"].tolist(),
        }


_REWARDS = {
    (True, False): "β·(π − π_ref)",
    (True, True): "β·(π − π_ref)",
    (False, True): "β·π/|y| (token-mean log-prob)",
    (False, False): "β·π",
}


def crosscheck(
    batch: Batch, loss: str, beta: float, params: Mapping[str, float] | None = None, grads: bool = True
) -> CrosscheckResult:
    """Evaluate ``loss`` at ``beta`` on ``batch``; with ``grads`` also the mean loss's gradients.

    A reference-free loss never reads the reference (the batch need not have one).
    """
    spec = get_loss(loss)
    a = batch.arrays
    pol: dict[str, np.ndarray] = {}
    ref: dict[str, np.ndarray] = {}
    lengths: dict[str, np.ndarray | None] = {}
    backward = {}
    for side in SIDES:
        if batch.form == "logps":
            pol[side] = a[f"policy_{side}_logps"]
            ref[side] = a[f"reference_{side}_logps"] if spec.needs_reference else np.zeros_like(pol[side])
            lengths[side] = a.get(f"{side}_lengths")
            continue
        labels, mask = a[f"{side}_labels"], a[f"{side}_mask"]
        logits = a[f"policy_{side}_logits"]
        if grads:
            pol[side], backward[side] = sequence_logps_vjp(logits, labels, mask)
        else:
            pol[side] = sequence_logps(logits, labels, mask)
        rk = f"reference_{side}_logits"
        if not spec.needs_reference:
            ref[side] = np.zeros_like(pol[side])
        else:
            ref[side] = sequence_logps(a[rk], labels, mask) if rk in a else a[f"reference_{side}_logps"]
        lengths[side] = mask.sum(axis=-1).astype(np.float64)
    pairs = Pairs(
        pol["chosen"].astype(np.float64),
        pol["rejected"].astype(np.float64),
        ref["chosen"].astype(np.float64),
        ref["rejected"].astype(np.float64),
        lengths["chosen"],
        lengths["rejected"],
    )
    q = spec.params(params or {})
    out = evaluate(spec.name, pairs, beta, q)
    m = reward_metrics(pairs, beta, spec.name)
    chosen, rejected = loss_logps(pairs, spec.name)
    result = CrosscheckResult(
        spec.name,
        float(beta),
        q,
        batch.form,
        out.losses,
        m.chosen_rewards,
        m.rejected_rewards,
        m.reward_accuracy,
        m.reward_margin,
        policy_logps={"chosen": pairs.policy_chosen, "rejected": pairs.policy_rejected},
        loss_logps={"chosen": chosen, "rejected": rejected},
        reward_definition=_REWARDS[(spec.needs_reference, spec.mean_logps)],
    )
    if grads:
        n = out.losses.shape[0]
        g = {"chosen": out.grad_chosen / n, "rejected": out.grad_rejected / n}
        for side in SIDES:
            result.grads[f"policy_{side}_logps"] = g[side]
            if side in backward:
                result.grads[f"policy_{side}_logits"] = backward[side](g[side])
    return result
