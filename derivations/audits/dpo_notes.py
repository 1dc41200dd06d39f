r"""Audit of "Direct Preference Optimization (DPO) — Complete Mathematical Derivation" (000), as written.

Main findings:

- Step 2, "alternatively r = β log p + λ": does not follow from Step 1's policy
  p = exp(r − β log π_ref), which gives r = log p + β log π_ref (no β on log p); refuted.
- Step 3: with the reward of Step 2, r_w − r_l = log(p_w/p_l) + β log(π_ref,w/π_ref,l), not
  β log(p_w/π_ref,w) − β log(p_l/π_ref,l); refuted. The stated difference is right for the
  DPO reward r = β log(p/π_ref) + β log Z, checked as the corrected step.
- Steps 3–5, the binary cross-entropy identity and the stationarity computation hold as algebra.

References: the document's own headings ("Step 1" … "Step 5", "Binary Cross Entropy Derivation",
"Derivative w.r.t. f(y|x)").
"""

from __future__ import annotations

import sympy as sp

from derivations._notation import DPO_NOTES, Z, a, b, beta, ref_l, ref_w
from verify import Derivation, Equal, EqualUpToConstant, Solves, Source, Step, sigmoid, var
from verify.domains import POSITIVE, PROBABILITY, REAL

DOC = DPO_NOTES
r = var("r", REAL, "r")
p_ref = var("ref", PROBABILITY, r"\pi_{\mathrm{ref}}")
p_y = var("p", PROBABILITY, "p")
p_w = var("p_w", PROBABILITY, "p(y_w)")
p_l = var("p_l", PROBABILITY, "p(y_l)")
f = var("f", POSITIVE, "f")
n_ = var("n_ref", POSITIVE, "n")

policy = sp.exp(r - beta * sp.log(p_ref))  # Step 1, as written


def reward_step2(p, q):
    """Step 2's rearrangement: r = log p + β log π_ref."""
    return sp.log(p) + beta * sp.log(q)


margin = beta * sp.log(p_w / ref_w) - beta * sp.log(p_l / ref_l)
L_obj = r * f - beta * f * sp.log(f / n_)

derivation = Derivation(
    id="audit_dpo_notes",
    title="Audit: DPO complete mathematical derivation (handwritten notes, 000)",
    source=Source(DOC, "Steps 1–5"),
    kind="audit",
    summary="Two refuted steps: the 'alternative' reward of Step 2 and the reward difference of Step 3.",
    steps=[
        Step(
            "step2_log_policy",
            Equal(sp.log(policy), r - beta * sp.log(p_ref)),
            "take the log of Step 1",
            "Step 2",
        ),
        Step(
            "step2_reward_rearranged",
            Solves([(sp.log(policy), sp.log(p_y))], {r: reward_step2(p_y, p_ref)}),
            "r = log p + β log π_ref solves log p = r − β log π_ref",
            "Step 2",
            uses=["step2_log_policy"],
        ),
        Step(
            "step2_alternative_reward_beta_log_p_add_lambda",
            EqualUpToConstant(reward_step2(p_y, p_ref), beta * sp.log(p_y), [p_y, p_ref]),
            "the 'alternatively' display: r = β log p + λ with λ a partition term, i.e. not depending on "
            "the response y (neither through p(y|x) nor through π_ref(y|x))",
            "Step 2",
            expected="refuted",
            correction=Equal(r, sp.log(p_y) + beta * sp.log(p_ref)),
            diagnosis="Step 1 puts no temperature on r: r − β log p = (1 − β) log p + β log π_ref varies with y",
        ),
        Step(
            "step3_reward_difference_from_step2_reward",
            Equal(reward_step2(p_w, ref_w) - reward_step2(p_l, ref_l), margin),
            "the first display of Step 3, with the reward of Step 2",
            "Step 3",
            expected="refuted",
            correction=Equal(  # unevaluated, so that the display shows the DPO rewards being subtracted
                sp.Add(
                    sp.Add(beta * sp.log(p_w / ref_w), beta * sp.log(Z), evaluate=False),
                    sp.Mul(-1, sp.Add(beta * sp.log(p_l / ref_l), beta * sp.log(Z), evaluate=False), evaluate=False),
                    evaluate=False,
                ),
                margin,
            ),
            diagnosis="holds for the DPO reward β log(p/π_ref) + β log Z, not for Step 2's log p + β log π_ref",
        ),
        Step(
            "step3_log_subtraction",
            Equal(margin, beta * sp.log((p_w / ref_w) / (p_l / ref_l))),
            "log subtraction",
            "Step 3",
        ),
        Step(
            "step3_simplified",
            Equal(margin, beta * sp.log(p_w * ref_l / (p_l * ref_w))),
            "simplify the compound fraction",
            "Step 3",
            uses=["step3_log_subtraction"],
        ),
        Step(
            "step4_loss_combined",
            Equal(-sp.log(sigmoid(margin)), -sp.log(sigmoid(beta * sp.log(p_w * ref_l / (p_l * ref_w))))),
            "substitute the simplified difference",
            "Step 4",
            uses=["step3_simplified"],
        ),
        Step(
            "bce_factor_denominator",
            Equal(-sp.log(sp.exp(a) / (sp.exp(a) + sp.exp(b))), -sp.log(1 / (1 + sp.exp(b - a)))),
            "divide by exp(y_1)",
            "Binary Cross Entropy Derivation",
        ),
        Step(
            "bce_eq_neg_log_sigmoid",
            Equal(sp.log(1 + sp.exp(b - a)), -sp.log(sigmoid(a - b))),
            "σ(y_1 − y_2) = 1/(1 + exp(y_2 − y_1))",
            "Binary Cross Entropy Derivation",
            uses=["bce_factor_denominator"],
        ),
        Step(
            "derivative_wrt_f",
            Equal(sp.diff(L_obj, f), r - beta * (sp.log(f / n_) + 1)),
            "product rule",
            "Derivative w.r.t. f(y|x)",
        ),
        Step(
            "stationary_point_wrt_f",
            Solves([(sp.diff(L_obj, f), 0)], {f: n_ * sp.exp((r - beta) / beta)}),
            "log(f/n) = (r − β)/β",
            "Derivative w.r.t. f(y|x)",
            uses=["derivative_wrt_f"],
        ),
    ],
)
