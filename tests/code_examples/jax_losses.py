"""JAX preference losses as researchers write them (``jax.nn.log_sigmoid``, ``jax.jit``), and single-edit
mutants of them.

Each ``*_loss`` is correct; each ``mutant_*`` plants one bug of a kind that reaches training runs.
"""

from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.jit, static_argnames=("loss_type",))
def dpo_loss(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1, loss_type="sigmoid"):
    """DPO (or IPO) per example, with the implicit rewards, compiled with ``jax.jit``."""
    chosen_logratios = chosen_logps - ref_chosen_logps
    rejected_logratios = rejected_logps - ref_rejected_logps
    logits = chosen_logratios - rejected_logratios
    if loss_type == "sigmoid":
        losses = -jax.nn.log_sigmoid(beta * logits)
    elif loss_type == "ipo":
        losses = (logits - 1 / (2 * beta)) ** 2
    else:
        raise ValueError(f"unknown loss_type {loss_type}")
    chosen_rewards = jax.lax.stop_gradient(beta * chosen_logratios)
    rejected_rewards = jax.lax.stop_gradient(beta * rejected_logratios)
    return losses, chosen_rewards, rejected_rewards


def ipo_loss(policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps, beta):
    """IPO: the squared distance of the log-ratio margin from 1/(2β)."""
    pi_logratios = policy_chosen_logps - policy_rejected_logps
    ref_logratios = reference_chosen_logps - reference_rejected_logps
    return jnp.square(pi_logratios - ref_logratios - 1 / (2 * beta))


def simpo_loss(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    """SimPO: reference-free, length-averaged log-probabilities with a target margin γ."""
    margin = chosen_logps / chosen_lengths - rejected_logps / rejected_lengths
    return -jax.nn.log_sigmoid(beta * margin - gamma)


# ---------------------------------------------------------------- planted bugs


def mutant_sign_flip(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return jax.nn.log_sigmoid(beta * logits)  # the minus sign dropped


def mutant_swapped_winner(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    chosen_logratios = chosen_logps - ref_rejected_logps  # winner and loser swapped in the reference term
    rejected_logratios = rejected_logps - ref_chosen_logps
    return -jax.nn.log_sigmoid(beta * (chosen_logratios - rejected_logratios))


def mutant_reference_added(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    pi_logratios = chosen_logps - rejected_logps
    ref_logratios = ref_chosen_logps - ref_rejected_logps
    return -jax.nn.log_sigmoid(beta * (pi_logratios + ref_logratios))  # should be minus


def mutant_mean(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return jnp.mean(-jax.nn.log_sigmoid(beta * logits))  # the trainer expects per-example losses


def mutant_unstable(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -jnp.log(jax.nn.sigmoid(beta * logits))  # underflows in float32


def mutant_stop_gradient(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    pi_logratios = jax.lax.stop_gradient(chosen_logps - rejected_logps)  # the policy term gets no gradient
    ref_logratios = ref_chosen_logps - ref_rejected_logps
    return -jax.nn.log_sigmoid(beta * (pi_logratios - ref_logratios))


def mutant_beta_placement(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    pi_logratios = chosen_logps - rejected_logps
    ref_logratios = ref_chosen_logps - ref_rejected_logps
    return -jax.nn.log_sigmoid(beta * pi_logratios - ref_logratios)  # β on the policy term only


def mutant_simpo_length(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    margin = chosen_logps / chosen_lengths - rejected_logps / chosen_lengths  # the wrong length
    return -jax.nn.log_sigmoid(beta * margin - gamma)


def numpy_inside(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    """Converts to NumPy inside (``np.asarray``): not differentiable by ``jax.grad``, checked as NumPy."""
    import numpy as np

    logits = np.asarray(chosen_logps - ref_chosen_logps) - np.asarray(rejected_logps - ref_rejected_logps)
    return np.logaddexp(0.0, -beta * logits)


# ---------------------------------------------------------------- per-token log-probabilities with masks


def simpo_loss_tokens(chosen_token_logps, rejected_token_logps, chosen_mask, rejected_mask, beta=2.0, gamma=0.5):
    """SimPO from per-token log-probabilities: the mean over the unmasked tokens (``jnp.where``)."""
    chosen = jnp.where(chosen_mask, chosen_token_logps, 0.0).sum(-1) / chosen_mask.sum(-1)
    rejected = jnp.where(rejected_mask, rejected_token_logps, 0.0).sum(-1) / rejected_mask.sum(-1)
    return -jax.nn.log_sigmoid(beta * (chosen - rejected) - gamma)


def mutant_tokens_mean_over_padding(
    chosen_token_logps, rejected_token_logps, chosen_mask, rejected_mask, beta=2.0, gamma=0.5
):
    chosen = jnp.mean(chosen_token_logps * chosen_mask, axis=-1)  # divides by the padded width
    rejected = jnp.mean(rejected_token_logps * rejected_mask, axis=-1)
    return -jax.nn.log_sigmoid(beta * (chosen - rejected) - gamma)


# -------------------------------------------------- a per-example weight the gradient must not flow through


def weighted_dpo_loss(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    weight = jax.lax.stop_gradient(jax.nn.sigmoid(-beta * logits))
    return -weight * jax.nn.log_sigmoid(beta * logits)


def mutant_weight_not_stopped(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    weight = jax.nn.sigmoid(-beta * logits)  # stop_gradient forgotten
    return -weight * jax.nn.log_sigmoid(beta * logits)


# ---------------------------------------------------------------- bad input


def raises(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    raise RuntimeError("XLA out of memory")


def returns_nan(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    return jnp.log(chosen_logps)  # log of a negative number


def wrong_shape(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -jax.nn.log_sigmoid(beta * logits)[:, None]
