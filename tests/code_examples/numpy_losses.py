"""NumPy preference losses (as in JAX/NumPy reference implementations), correct and with planted bugs."""

import numpy as np


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def dpo_loss(policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps, beta=0.1):
    logits = (policy_chosen_logps - reference_chosen_logps) - (policy_rejected_logps - reference_rejected_logps)
    losses = -log_sigmoid(beta * logits)
    chosen_rewards = beta * (policy_chosen_logps - reference_chosen_logps)
    rejected_rewards = beta * (policy_rejected_logps - reference_rejected_logps)
    return losses, chosen_rewards, rejected_rewards


def ipo_loss(pi_w, pi_l, ref_w, ref_l, tau=0.1):
    """IPO with its own argument names (mapped with --map) and β called tau."""
    h = (pi_w - ref_w) - (pi_l - ref_l)
    return (h - 1 / (2 * tau)) ** 2


def simpo_loss(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    margin = chosen_logps / chosen_lengths - rejected_logps / rejected_lengths
    return -log_sigmoid(beta * margin - gamma)


def mean_dpo_loss(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    """A loss that returns the batch mean on purpose (checked with reduction="mean")."""
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return float(np.mean(-log_sigmoid(beta * logits)))


# ---------------------------------------------------------------- planted bugs


def mutant_sign_flip(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return log_sigmoid(beta * logits)


def mutant_swapped_winner(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (rejected_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)  # chosen → rejected once
    return -log_sigmoid(beta * logits)


def mutant_reference_added(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps + ref_chosen_logps) - (rejected_logps + ref_rejected_logps)
    return -log_sigmoid(beta * logits)


def mutant_mean(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return np.mean(-log_sigmoid(beta * logits))


def mutant_unstable(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -np.log(1 / (1 + np.exp(-beta * logits)))


def mutant_beta_placement(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = beta * (chosen_logps - rejected_logps) - (ref_chosen_logps - ref_rejected_logps)
    return -log_sigmoid(logits)


def mutant_label_smoothing_sign(
    chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1, label_smoothing=0.1
):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return (
        -log_sigmoid(beta * logits) * (1 - label_smoothing) + log_sigmoid(-beta * logits) * label_smoothing
    )  # + for −


def mutant_batch_normalised(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -log_sigmoid(beta * (logits - logits.mean()))  # couples the examples of a batch


# ---------------------------------------------------------------- bad input


def raises(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    raise RuntimeError("CUDA out of memory")


def returns_nan(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    return np.sqrt(chosen_logps - rejected_logps + ref_chosen_logps)  # sqrt of a negative number


def wrong_shape(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -log_sigmoid(beta * logits)[:, None]


def unexpected_signature(prompts, completions, beta=0.1):
    return np.zeros(len(prompts))


def weighted_dpo_loss(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    """DPO weighted by σ(−β·h) per pair (the weight a constant in training; NumPy has no gradient to stop)."""
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    weight = np.exp(log_sigmoid(-beta * logits))
    return -weight * log_sigmoid(beta * logits)
