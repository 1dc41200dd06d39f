"""NumPy preference losses on per-token log-probabilities of shape (B, T) with masks, as trainers compute
sequence log-probabilities (a sum, or a length-normalised mean, over the unmasked tokens); correct and with
planted bugs."""

import numpy as np


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def dpo_loss(
    chosen_token_logps, rejected_token_logps, chosen_mask, rejected_mask, ref_chosen_logps, ref_rejected_logps, beta
):
    """DPO from the policy's per-token log-probabilities and precomputed reference sequence log-probabilities."""
    chosen_logps = (chosen_token_logps * chosen_mask).sum(-1)
    rejected_logps = (rejected_token_logps * rejected_mask).sum(-1)
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -log_sigmoid(beta * logits)


def dpo_loss_all_tokens(
    chosen_token_logps,
    rejected_token_logps,
    ref_chosen_token_logps,
    ref_rejected_token_logps,
    chosen_mask,
    rejected_mask,
    beta=0.1,
):
    """DPO with the reference per token too; padded positions zeroed with ``np.where``."""

    def total(x, m):
        return np.where(m, x, 0.0).sum(-1)

    chosen = total(chosen_token_logps, chosen_mask) - total(ref_chosen_token_logps, chosen_mask)
    rejected = total(rejected_token_logps, rejected_mask) - total(ref_rejected_token_logps, rejected_mask)
    return -log_sigmoid(beta * (chosen - rejected))


def simpo_loss(chosen_token_logps, rejected_token_logps, chosen_mask, rejected_mask, beta=2.0, gamma=0.5):
    """SimPO: the mean log-probability over the unmasked tokens."""
    chosen = (chosen_token_logps * chosen_mask).sum(-1) / chosen_mask.sum(-1)
    rejected = (rejected_token_logps * rejected_mask).sum(-1) / rejected_mask.sum(-1)
    return -log_sigmoid(beta * (chosen - rejected) - gamma)


# ---------------------------------------------------------------- planted bugs


def mutant_no_mask(
    chosen_token_logps, rejected_token_logps, chosen_mask, rejected_mask, ref_chosen_logps, ref_rejected_logps, beta
):
    chosen_logps = (chosen_token_logps * chosen_mask).sum(-1)
    rejected_logps = rejected_token_logps.sum(-1)  # the mask forgotten: padding counted as tokens
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -log_sigmoid(beta * logits)


def mutant_mean_over_padding(chosen_token_logps, rejected_token_logps, chosen_mask, rejected_mask, beta=2.0, gamma=0.5):
    chosen = (chosen_token_logps * chosen_mask).mean(-1)  # divides by the padded width, not the length
    rejected = (rejected_token_logps * rejected_mask).mean(-1)
    return -log_sigmoid(beta * (chosen - rejected) - gamma)
