"""PyTorch preference losses in the style of TRL's trainers, and single-edit mutants of them.

Each ``*_loss`` is correct; each ``mutant_*`` plants one bug of a kind that reaches training runs.
"""

import torch
import torch.nn.functional as F  # noqa: N812 (the spelling trainers use)


def dpo_loss(
    chosen_logps,
    rejected_logps,
    ref_chosen_logps,
    ref_rejected_logps,
    beta=0.1,
    loss_type="sigmoid",
    label_smoothing=0.0,
):
    """TRL ``DPOTrainer.dpo_loss``: per-example losses and the detached implicit rewards."""
    chosen_logratios = chosen_logps - ref_chosen_logps
    rejected_logratios = rejected_logps - ref_rejected_logps
    logits = chosen_logratios - rejected_logratios
    if loss_type == "sigmoid":
        losses = -F.logsigmoid(beta * logits) * (1 - label_smoothing) - F.logsigmoid(-beta * logits) * label_smoothing
    elif loss_type == "ipo":
        losses = (logits - 1 / (2 * beta)) ** 2
    elif loss_type == "hinge":
        losses = torch.relu(1 - beta * logits)
    else:
        raise ValueError(f"unknown loss_type {loss_type}")
    chosen_rewards = beta * (chosen_logps - ref_chosen_logps).detach()
    rejected_rewards = beta * (rejected_logps - ref_rejected_logps).detach()
    return losses, chosen_rewards, rejected_rewards


def legacy_dpo_loss(policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps, beta):
    """The older TRL signature (``policy_*``/``reference_*``), beta without a default."""
    pi_logratios = policy_chosen_logps - policy_rejected_logps
    ref_logratios = reference_chosen_logps - reference_rejected_logps
    return -F.logsigmoid(beta * (pi_logratios - ref_logratios))


def simpo_loss(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    """SimPO (TRL ``CPOTrainer`` with ``loss_type="simpo"``): length-averaged, reference-free, margin γ/β."""
    pi_logratios = chosen_logps / chosen_lengths - rejected_logps / rejected_lengths
    logits = pi_logratios - gamma / beta
    return -F.logsigmoid(beta * logits)


def cpo_loss(chosen_logps, rejected_logps, chosen_lengths, beta=0.1, alpha=1.0):
    """CPO: reference-free sigmoid loss plus the length-averaged NLL of the chosen response."""
    losses = -F.logsigmoid(beta * (chosen_logps - rejected_logps))
    nll = -chosen_logps / chosen_lengths
    return losses + alpha * nll


def dpo_loss_float32(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    """DPO computed in float32 whatever the inputs' precision (as under mixed precision)."""
    chosen_logratios = chosen_logps.float() - ref_chosen_logps.float()
    rejected_logratios = rejected_logps.float() - ref_rejected_logps.float()
    return -F.logsigmoid(beta * (chosen_logratios - rejected_logratios))


# ---------------------------------------------------------------- planted bugs


def mutant_float32_reference_added(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    chosen_logratios = chosen_logps.float() + ref_chosen_logps.float()  # should be minus
    rejected_logratios = rejected_logps.float() + ref_rejected_logps.float()
    return -F.logsigmoid(beta * (chosen_logratios - rejected_logratios))


def mutant_sign_flip(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return F.logsigmoid(beta * logits)  # the minus sign dropped


def mutant_swapped_reference(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    chosen_logratios = chosen_logps - ref_rejected_logps  # winner and loser swapped in the reference
    rejected_logratios = rejected_logps - ref_chosen_logps
    return -F.logsigmoid(beta * (chosen_logratios - rejected_logratios))


def mutant_reference_added(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    pi_logratios = chosen_logps - rejected_logps
    ref_logratios = ref_chosen_logps - ref_rejected_logps
    return -F.logsigmoid(beta * (pi_logratios + ref_logratios))  # should be minus


def mutant_mean(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -F.logsigmoid(beta * logits).mean()  # the trainer expects per-example losses


def mutant_unstable(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -torch.log(torch.sigmoid(beta * logits))  # underflows in float32


def mutant_detached(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    pi_logratios = chosen_logps - rejected_logps.detach()  # the rejected response gets no gradient
    ref_logratios = ref_chosen_logps - ref_rejected_logps
    return -F.logsigmoid(beta * (pi_logratios - ref_logratios))


def mutant_beta_placement(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    pi_logratios = chosen_logps - rejected_logps
    ref_logratios = ref_chosen_logps - ref_rejected_logps
    return -F.logsigmoid(beta * pi_logratios - ref_logratios)  # β on the policy term only


def mutant_swapped_rewards(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    chosen_rewards = beta * (rejected_logps - ref_rejected_logps).detach()
    rejected_rewards = beta * (chosen_logps - ref_chosen_logps).detach()
    return -F.logsigmoid(beta * logits), chosen_rewards, rejected_rewards


def mutant_simpo_length(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    pi_logratios = chosen_logps / chosen_lengths - rejected_logps / chosen_lengths  # wrong length
    return -F.logsigmoid(beta * (pi_logratios - gamma / beta))


# ---------------------------------------------------------------- per-token log-probabilities with masks


def dpo_loss_tokens(
    chosen_per_token_logps,
    rejected_per_token_logps,
    chosen_loss_mask,
    rejected_loss_mask,
    ref_chosen_logps,
    ref_rejected_logps,
    beta=0.1,
):
    """DPO from per-token log-probabilities (B, T) and boolean loss masks, as TRL sums them."""
    chosen_logps = (chosen_per_token_logps * chosen_loss_mask).sum(-1)
    rejected_logps = (rejected_per_token_logps * rejected_loss_mask).sum(-1)
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -F.logsigmoid(beta * logits)


def mutant_tokens_no_mask(
    chosen_per_token_logps,
    rejected_per_token_logps,
    chosen_loss_mask,
    rejected_loss_mask,
    ref_chosen_logps,
    ref_rejected_logps,
    beta=0.1,
):
    chosen_logps = chosen_per_token_logps.sum(-1)  # the mask forgotten: padding counted as tokens
    rejected_logps = (rejected_per_token_logps * rejected_loss_mask).sum(-1)
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -F.logsigmoid(beta * logits)


# -------------------------------------------------- a per-example weight the gradient must not flow through

#: the formula: DPO with each pair weighted by σ(−β·h), a constant for the gradient (focal-style reweighting)
WEIGHTED_DPO = "-stopgrad(sigmoid(-beta*h)) * logsigmoid(beta*h)"


def weighted_dpo_loss(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    weight = torch.sigmoid(-beta * logits).detach()  # how far the pair is from being learned; not trained
    return -weight * F.logsigmoid(beta * logits)


def mutant_weight_not_detached(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    weight = torch.sigmoid(-beta * logits)  # .detach() forgotten: the gradient also flows through the weight
    return -weight * F.logsigmoid(beta * logits)
