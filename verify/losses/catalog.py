r"""Published preference losses: formula, default hyperparameters, source and documented profile.

Formulas use the canonical variables (``logp_w``, ``logp_l``, ``ref_logp_w``, ``ref_logp_l``,
``beta``, ``len_w``, ``len_l``); ``h`` below abbreviates the log-ratio margin
:math:`(\log\pi_w - \log\pi_{ref,w}) - (\log\pi_l - \log\pi_{ref,l})` and is expanded before parsing.
``optimum`` is the documented population minimiser :math:`h^*(p)` in the margin (``p`` the
Bradley–Terry preference probability); ``warnings`` documents the genuine surprises of a
published loss (property id → explanation). The checker verifies both; it never trusts them.
Where the loss is implemented in TRL's ``DPOTrainer`` the ``loss_type`` is named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MARGIN = "((logp_w - ref_logp_w) - (logp_l - ref_logp_l))"
R_W = "(logp_w - ref_logp_w)"
R_L = "(logp_l - ref_logp_l)"


@dataclass(frozen=True)
class Variant:
    """A published loss variant."""

    name: str
    title: str
    source: str
    formula: str
    params: dict[str, str] = field(default_factory=dict)
    optimum: str | None = None
    warnings: dict[str, str] = field(default_factory=dict)

    @property
    def expression(self) -> str:
        return re.sub(r"\bh\b", MARGIN, self.formula)


CATALOG: dict[str, Variant] = {
    v.name: v
    for v in [
        Variant(
            "dpo",
            "Direct Preference Optimization",
            "Rafailov et al. 2023, Direct Preference Optimization, eq. (7); TRL loss_type='sigmoid'",
            "-logsigmoid(beta*h)",
            optimum="log(p/(1 - p))/beta",
        ),
        Variant(
            "cdpo",
            "Conservative DPO (label smoothing)",
            "Mitchell 2023, A note on DPO with noisy preferences; TRL loss_type='sigmoid' with label_smoothing",
            "-(1 - eps)*logsigmoid(beta*h) - eps*logsigmoid(-beta*h)",
            {"eps": "0.1"},
            optimum="log((p*(1 - eps) + (1 - p)*eps)/(1 - p*(1 - eps) - (1 - p)*eps))/beta",
        ),
        Variant(
            "robust",
            "Robust DPO (unbiased under label flips)",
            "Chowdhury et al. 2024, Provably Robust DPO; TRL loss_type='robust'",
            "((1 - eps)*(-logsigmoid(beta*h)) - eps*(-logsigmoid(-beta*h)))/(1 - 2*eps)",
            {"eps": "0.1"},
            optimum="log((p - eps)/(1 - eps - p))/beta",
            warnings={
                "bounded_below": "the unbiased correction subtracts ε·(−log σ(−βh)): the loss falls linearly "
                "without bound as h → +∞ (by design of the estimator)"
            },
        ),
        Variant(
            "ipo",
            "Identity Preference Optimization",
            "Azar et al. 2023, A General Theoretical Paradigm to Understand Learning from Human Preferences, "
            "eq. (17); TRL loss_type='ipo'",
            "(h - 1/(2*beta))**2",
            optimum="(2*p - 1)/(2*beta)",
        ),
        Variant(
            "hinge",
            "Hinge loss (SLiC)",
            "Zhao et al. 2023, SLiC-HF: Sequence Likelihood Calibration with Human Feedback; TRL loss_type='hinge'",
            "relu(1 - beta*h)",
            optimum="1/beta",
        ),
        Variant(
            "reference_free",
            "Reference-free DPO",
            "Rafailov et al. 2023 (DPO without a reference model); TRL reference_free=True",
            "-logsigmoid(beta*(logp_w - logp_l))",
            optimum="log(p/(1 - p))/beta",
        ),
        Variant(
            "simpo",
            "Simple Preference Optimization",
            "Meng et al. 2024, SimPO: Simple Preference Optimization with a Reference-Free Reward, eq. (6)",
            "-logsigmoid(beta*(logp_w/len_w - logp_l/len_l) - gamma)",
            {"gamma": "0.5"},
        ),
        Variant(
            "nca_pair",
            "Noise Contrastive Alignment (pairwise)",
            "Chen et al. 2024, Noise Contrastive Alignment of Language Models with Explicit Rewards; "
            "TRL loss_type='nca_pair'",
            f"-logsigmoid(beta*{R_W}) - 0.5*logsigmoid(-beta*{R_W}) - 0.5*logsigmoid(-beta*{R_L})",
        ),
        Variant(
            "exo_pair",
            "Efficient Exact Optimization (pairwise)",
            "Ji et al. 2024, Towards Efficient Exact Optimization of Language Model Alignment; "
            "TRL loss_type='exo_pair'",
            "sigmoid(beta*h)*(logsigmoid(beta*h) - log(1 - eps)) + sigmoid(-beta*h)*(logsigmoid(-beta*h) - log(eps))",
            {"eps": "0.001"},
            optimum="(2*p - 1)*log((1 - eps)/eps)/beta",
        ),
        Variant(
            "bco_pair",
            "Binary Classifier Optimization (pairwise)",
            "Jung et al. 2024, Binary Classifier Optimization for Large Language Model Alignment; "
            "TRL loss_type='bco_pair' (delta: running mean of rewards)",
            f"-logsigmoid(beta*{R_W} - delta) - logsigmoid(-(beta*{R_L} - delta))",
            {"delta": "0"},
        ),
        Variant(
            "sppo_hard",
            "Self-Play Preference Optimization (hard labels)",
            "Wu et al. 2024, Self-Play Preference Optimization for Language Model Alignment; TRL loss_type='sppo_hard'",
            f"({R_W} - 1/(2*beta))**2 + ({R_L} + 1/(2*beta))**2",
        ),
        Variant(
            "apo_zero",
            "Anchored Preference Optimization (zero)",
            "D'Oosterlinck et al. 2024, Anchored Preference Optimization and Contrastive Revisions; "
            "TRL loss_type='apo_zero'",
            f"1 - sigmoid(beta*{R_W}) + sigmoid(beta*{R_L})",
        ),
        Variant(
            "apo_down",
            "Anchored Preference Optimization (down)",
            "D'Oosterlinck et al. 2024, Anchored Preference Optimization and Contrastive Revisions; "
            "TRL loss_type='apo_down'",
            f"sigmoid(beta*{R_W}) + 1 - sigmoid(beta*({R_W} - {R_L}))",
            warnings={
                "preference_direction": "non-monotone far below the reference: for βh ≲ −2 along the symmetric "
                "margin path the σ(β r_w) term (which pushes the preferred response down, by design of the 'down' "
                "variant) outweighs the margin term, so widening the margin raises the loss there",
            },
        ),
        Variant(
            "discopop",
            "DiscoPOP (log-ratio modulated loss)",
            "Chris Lu et al. 2024, Discovering Preference Optimization Algorithms with and for Large Language "
            "Models; TRL loss_type='discopop'",
            "(1 - sigmoid(beta*h/tau))*(-logsigmoid(beta*h)) + sigmoid(beta*h/tau)*exp(-beta*h)",
            {"tau": "0.05"},
            warnings={
                "preference_direction": "non-monotone near the reference: for βh roughly in [−0.13, 0.08] the "
                "σ(βh/τ) blend from the logistic to the exponential loss raises the loss as the margin widens "
                "(the paper notes the loss is non-convex); outside that band it decreases",
                "reference_orientation": "the same band seen from the reference: locally, a reference "
                "preferring the winner lowers the loss",
            },
        ),
        Variant(
            "kto_pair",
            "Kahneman–Tversky Optimization (paired form)",
            "Ethayarajh et al. 2024, KTO: Model Alignment as Prospect Theoretic Optimization, eq. (8) "
            "(reference point z0 treated as a constant)",
            f"lambda_d*(1 - sigmoid(beta*({R_W} - z0))) + lambda_u*(1 - sigmoid(beta*(z0 - {R_L})))",
            {"lambda_d": "1", "lambda_u": "1", "z0": "0"},
        ),
        Variant(
            "orpo",
            "Odds Ratio Preference Optimization",
            "Hong et al. 2024, ORPO: Monolithic Preference Optimization without Reference Model, eqs. (6)–(7) "
            "(length-averaged log-probabilities)",
            "-logp_w/len_w - lambda*logsigmoid((logp_w/len_w - log1mexp(logp_w/len_w)) "
            "- (logp_l/len_l - log1mexp(logp_l/len_l)))",
            {"lambda": "0.1"},
        ),
        Variant(
            "dpo_sft",
            "DPO with an NLL term (RPO)",
            "Pang et al. 2024, Iterative Reasoning Preference Optimization (DPO + NLL); TRL rpo_alpha",
            "-logsigmoid(beta*h) - alpha*logp_w/len_w",
            {"alpha": "1"},
        ),
        Variant(
            "dpop",
            "DPO-Positive",
            "Pal et al. 2024, Smaug: Fixing Failure Modes of Preference Optimisation with DPO-Positive, eq. (3)",
            "-logsigmoid(beta*(h - lambda*relu(ref_logp_w - logp_w)))",
            {"lambda": "50"},
        ),
    ]
}
