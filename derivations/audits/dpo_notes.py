r"""Audit of "Direct Preference Optimization (DPO) — Complete Mathematical Derivation" (000), as written.

Main findings:

- Step 1, the optimal policy p = exp(r − β log π_ref): the maximiser of E_p[r] − β KL(p‖π_ref)
  is π_ref e^{r/β}/Z (the document's own stationarity computation gives f = n e^{(r−β)/β});
  Step 1's policy is not normalised and weights π_ref by the power −β; refuted.
- Step 2, "alternatively r = β log p + λ": does not follow from Step 1's policy
  p = exp(r − β log π_ref), which gives r = log p + β log π_ref (no β on log p); refuted.
- Step 3: with the reward of Step 2, r_w − r_l = log(p_w/p_l) + β log(π_ref,w/π_ref,l), not
  β log(p_w/π_ref,w) − β log(p_l/π_ref,l); refuted. The stated difference is right for the
  DPO reward r = β log(p/π_ref) + β log Z, checked as the corrected step. Step 4's substitution
  of that difference into L is valid as a step; the error it carries is Step 3's.
- Gradient Derivation Sketch: the objective divides by the reward r inside the log where the
  KL regulariser (and the next section's L = r f − β f log(f/n)) divides by the reference n; refuted.
- Step 3's and Step 4's log algebra, Step 5's boxed loss (both forms), the binary cross-entropy
  identity, the Bradley–Terry form and the stationarity computation hold as algebra. The Final
  Parameter Expression defines θ with symbols the document never defines (recorded as
  unverifiable); read with f, n of the stationarity computation, it is the constant −β/λ.

Every display of the document is anchored by a step or recorded (``records``).

References: the document's own headings ("Step 1" … "Step 5", "Binary Cross Entropy Derivation",
"Bradley-Terry Model Probability", "Gradient Derivation Sketch", "Derivative w.r.t. f(y|x)",
"Final Parameter Expression").
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Equal, EqualUpToConstant, Implies, Record, Solves, Source, Step, sigmoid, var
from verify.domains import POSITIVE, PROBABILITY, REAL

from .._notation import DPO_NOTES, Z, a, b, beta, lam, ref_l, ref_w

DOC = DPO_NOTES
r = var("r", REAL, "r")
p_ref = var("ref", PROBABILITY, r"\pi_{\mathrm{ref}}")
p_y = var("p", PROBABILITY, "p")
p_w = var("p_w", PROBABILITY, "p(y_w)")
p_l = var("p_l", PROBABILITY, "p(y_l)")
reward_gap = var("reward_gap", REAL, "r(y_w, x) - r(y_l, x)")
f = var("f", POSITIVE, "f")
n_ = var("n_ref", POSITIVE, "n")

policy = sp.exp(r - beta * sp.log(p_ref))  # Step 1, as written

# Step 1 on two responses y, y' (π_ref(y') = 1 − π_ref(y)): the policy as printed against the
# maximiser of E_p[r] − β KL(p‖π_ref), the normalised Gibbs policy π_ref e^{r/β} / Z.
r_other = var("r_other", REAL, "r'")
mu = var("mu", REAL, r"\mu")
gibbs_weight = p_ref * sp.exp(r / beta)
gibbs_normaliser = gibbs_weight + (1 - p_ref) * sp.exp(r_other / beta)
gibbs = gibbs_weight / gibbs_normaliser
lagrangian_gradient = r - beta * (sp.log(p_y / p_ref) + 1) - mu  # ∂/∂p of p r − β p log(p/π_ref) − μ p

# Step 5's notation: n, n_ref for p, π_ref; y_1 the winner, y_2 the loser
n1 = var("n_1", PROBABILITY, "n(y_1)")
n2 = var("n_2", PROBABILITY, "n(y_2)")
nref1 = var("nref_1", PROBABILITY, r"n_{\mathrm{ref}}(y_1)")
nref2 = var("nref_2", PROBABILITY, r"n_{\mathrm{ref}}(y_2)")
boxed = -sp.log(sigmoid(beta * (sp.log(n1 / nref1) - sp.log(n2 / nref2))))
boxed_compact = -sp.log(sigmoid(beta * sp.log(n1 * nref2 / (n2 * nref1))))

P_w = var("P_w", PROBABILITY, "P(y_w)")
P_l = var("P_l", PROBABILITY, "P(y_l)")


def reward_step2(p, q):
    """Step 2's rearrangement: r = log p + β log π_ref."""
    return sp.log(p) + beta * sp.log(q)


margin = beta * sp.log(p_w / ref_w) - beta * sp.log(p_l / ref_l)
L_obj = r * f - beta * f * sp.log(f / n_)
r_pos = var("r_pos", POSITIVE, "r")  # the sketch's log(P/r) needs r > 0
f_x = var("f_x", POSITIVE, "f(x)")
n_x = var("n_x", POSITIVE, "n(x)")
theta_expr = (r - beta * sp.log(f_x / n_x)) / (-lam)  # Final Parameter Expression, as written

derivation = Derivation(
    id="audit_dpo_notes",
    title="Audit: DPO complete mathematical derivation (handwritten notes, 000)",
    source=Source(DOC, "Steps 1–5"),
    kind="audit",
    summary=(
        "Five refuted steps: Step 1's optimal policy, the 'alternative' reward of Step 2, the reward difference "
        "of Step 3 and Step 4's loss with Step 2's reward, and the sketch's objective (log(P/r) for log(P/n))."
    ),
    steps=[
        Step(
            "step1_policy_eq_kl_regularised_optimum",
            Equal(policy, gibbs),
            "Step 1 calls exp(r − β log π_ref) the optimal policy; on two responses (π_ref(y') = 1 − π_ref(y)) "
            "the optimum of E_p[r] − β KL(p‖π_ref) is π_ref e^{r/β} / (π_ref e^{r/β} + π_ref(y') e^{r'/β})",
            "Step 1",
            expected="refuted",
            correction=Implies(
                [sp.Eq(Z, gibbs_normaliser)],
                Solves([(lagrangian_gradient, 0)], {p_y: gibbs_weight / Z, mu: beta * sp.log(Z) - beta}),
                symbolic=True,
            ),
            diagnosis="exp(r − β log π_ref) = e^r π_ref^{−β} is not normalised and puts the power −β on π_ref; the "
            "maximiser is π_ref e^{r/β}/Z (the document's own stationarity computation gives f = n e^{(r−β)/β})",
            anchor=r"p(y|x) = \exp\left( r(y,x) - \beta \log \pi_{ref}(y|x) \right)",
        ),
        Step(
            "step2_log_policy",
            Equal(sp.log(policy), r - beta * sp.log(p_ref)),
            "take the log of Step 1",
            "Step 2",
            anchor=r"\log p(y|x) = r(y,x) - \beta \log \pi_{ref}(y|x)",
            trivial=(
                "the log of an exponential of a real exponent is evaluated as the line is built; the line checks that"
                " Step 2's display is Step 1's exponent"
            ),
        ),
        Step(
            "step2_reward_rearranged",
            Solves([(sp.log(policy), sp.log(p_y))], {r: reward_step2(p_y, p_ref)}),
            "r = log p + β log π_ref solves log p = r − β log π_ref",
            "Step 2",
            uses=["step2_log_policy"],
            anchor=r"r(y,x) = \log p(y|x) + \beta \log \pi_{ref}(y|x)",
        ),
        Step(
            "step2_alternative_reward_beta_log_p_add_lambda",
            EqualUpToConstant(reward_step2(p_y, p_ref), beta * sp.log(p_y), [p_y, p_ref]),
            "the 'alternatively' display: r = β log p + λ with λ a partition term, i.e. not depending on "
            "the response y (neither through p(y|x) nor through π_ref(y|x))",
            "Step 2",
            expected="refuted",
            correction=Implies(
                [sp.Eq(p_y, gibbs_weight / Z)], Equal(r, beta * sp.log(p_y / p_ref) + beta * sp.log(Z)), symbolic=True
            ),
            diagnosis="Step 1 puts no temperature on r: r − β log p = (1 − β) log p + β log π_ref varies with y; "
            "for the maximiser p = π_ref e^{r/β}/Z of Step 1's objective, r = β log(p/π_ref) + β log Z",
            anchor=r"r(y,x) = \beta \log p(y|x) + \lambda",
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
            anchor=r"r(y_w, x) - r(y_l, x) = \beta \log \left( \frac{p(y_w|x)}{\pi_{ref}(y_w|x)} \right)",
        ),
        Step(
            "step3_log_subtraction",
            Equal(margin, beta * sp.log((p_w / ref_w) / (p_l / ref_l))),
            "log subtraction",
            "Step 3",
            anchor=r"= \beta \log \left( \frac{p(y_w|x) / \pi_{ref}(y_w|x)}{p(y_l|x) / \pi_{ref}(y_l|x)} \right)",
        ),
        Step(
            "step3_simplified",
            Equal(margin, beta * sp.log(p_w * ref_l / (p_l * ref_w))),
            "simplify the compound fraction",
            "Step 3",
            uses=["step3_log_subtraction"],
            anchor=r"= \beta \log \left( \frac{p(y_w|x) \cdot \pi_{ref}(y_l|x)}{p(y_l|x)",
        ),
        Step(
            "step4_substitute_reward_difference",
            Implies(
                [sp.Eq(reward_gap, margin)],
                Equal(-sp.log(sigmoid(reward_gap)), -sp.log(sigmoid(margin))),
                symbolic=True,
            ),
            "Step 4's substitution of Step 3's reward difference into L = −log σ(r(y_w) − r(y_l)): valid given "
            "Step 3's display, which does not follow from Step 2's reward (refuted there)",
            "Step 4",
            uses=["step3_reward_difference_from_step2_reward"],
            trivial="the substitution is carried out as the line is built; the line records that Step 4's display is "
            "L with Step 3's difference substituted (the error is Step 3's, not this step's)",
            anchor=r"L = -\log \sigma\left( \beta \log \left( \frac{p(y_w|x)}{\pi_{ref}(y_w|x)} \right) - \beta",
        ),
        Step(
            "step4_loss_combined",
            Equal(-sp.log(sigmoid(margin)), -sp.log(sigmoid(beta * sp.log(p_w * ref_l / (p_l * ref_w))))),
            "substitute the simplified difference",
            "Step 4",
            uses=["step3_simplified"],
            anchor=r"= -\log \sigma\left( \beta \log \left( \frac{p(y_w|x) \cdot",
        ),
        Step(
            "step5_boxed_loss_eq_step4_loss",
            Equal(
                -sp.log(sigmoid(beta * sp.log(n1 / nref1) - beta * sp.log(n2 / nref2))),
                boxed,
            ),
            "Step 4's loss with n, n_ref for p, π_ref and y_1, y_2 for y_w, y_l; β factored out",
            "Step 5",
            anchor=r"\sigma\left( \beta \cdot \left( \log \frac{n(y_1|x)}{n_{ref}(y_1|x)} - \log",
        ),
        Step(
            "step5_boxed_loss_compact",
            Equal(boxed, boxed_compact),
            "log subtraction inside the boxed loss",
            "Step 5",
            uses=["step5_boxed_loss_eq_step4_loss"],
            anchor=r"\sigma\left( \beta \cdot \log \left( \frac{n(y_1|x) \cdot n_{ref}(y_2|x)}",
        ),
        Step(
            "bce_factor_denominator",
            Equal(-sp.log(sp.exp(a) / (sp.exp(a) + sp.exp(b))), -sp.log(1 / (1 + sp.exp(b - a)))),
            "divide by exp(y_1)",
            "Binary Cross Entropy Derivation",
            anchor=(
                r"-\log \left( \frac{\exp(y_1)}{\exp(y_1) + \exp(y_2)} \right)",
                r"= -\log \left( \frac{1}{1 + \exp(y_2 - y_1)} \right)",
            ),
        ),
        Step(
            "bce_neg_log_reciprocal",
            Equal(-sp.log(1 / (1 + sp.exp(b - a))), sp.log(1 + sp.exp(b - a))),
            "−log(1/x) = log x",
            "Binary Cross Entropy Derivation",
            uses=["bce_factor_denominator"],
            anchor=r"= \log(1 + \exp(y_2 - y_1))",
        ),
        Step(
            "bce_eq_neg_log_sigmoid",
            Equal(sp.log(1 + sp.exp(b - a)), -sp.log(sigmoid(a - b))),
            "σ(y_1 − y_2) = 1/(1 + exp(y_2 − y_1))",
            "Binary Cross Entropy Derivation",
            uses=["bce_neg_log_reciprocal"],
            anchor=r"= -\log \sigma(y_1 - y_2)",
        ),
        Step(
            "bradley_terry_eq_sigmoid_of_log_ratio",
            Equal(P_w / (P_w + P_l), sigmoid(sp.log(P_w) - sp.log(P_l))),
            "the Bradley–Terry display with strengths P(y|x) is σ of the log-ratio, the σ of Step 4",
            "Bradley-Terry Model Probability",
            anchor=r"P(y_w > y_l | x) = \frac{P(y_w|x)}{P(y_w|x) + P(y_l|x)}",
        ),
        Step(
            "sketch_objective_kl_divides_by_reward",
            Equal(f * r_pos - beta * f * sp.log(f / r_pos), f * r_pos - beta * f * sp.log(f / n_)),
            "the summand of the original objective, read as Σ_y [P r − β P log(P/r)] (the brackets of the next "
            "display), with P = f, against the KL-regularised summand f r − β f log(f/n) the next section "
            "differentiates; r > 0 so that log(P/r) is defined",
            "Gradient Derivation Sketch",
            expected="refuted",
            correction=Equal(sp.diff(f * r - beta * f * sp.log(f / n_), f), r - beta * (sp.log(f / n_) + 1)),
            diagnosis="the KL regulariser divides by the reference policy n, not by the reward r: log(P/r) "
            "mixes a reward into a probability ratio",
            anchor=(r"\log\left( \frac{P(y|x)}{r(y|x)} \right)", r"\log \left( \frac{f(y|x)}{r} \right)"),
        ),
        Step(
            "derivative_wrt_f",
            Equal(sp.diff(L_obj, f), r - beta * (sp.log(f / n_) + 1)),
            "product rule",
            "Derivative w.r.t. f(y|x)",
            anchor=r"\frac{\partial L}{\partial f} = r - \beta \left( \log \left( \frac{f}{n} \right) + 1 \right)",
        ),
        Step(
            "stationary_point_wrt_f",
            Solves([(sp.diff(L_obj, f), 0)], {f: n_ * sp.exp((r - beta) / beta)}),
            "log(f/n) = (r − β)/β",
            "Derivative w.r.t. f(y|x)",
            uses=["derivative_wrt_f"],
            anchor=(
                r"0 = r - \beta \left( \log \left( \frac{f}{n} \right) + 1 \right)",
                r"\Rightarrow \log \left( \frac{f}{n} \right) = \frac{r - \beta}{\beta}",
            ),
        ),
        Step(
            "final_parameter_at_stationary_point",
            Equal(theta_expr.subs(f_x, n_ * sp.exp((r - beta) / beta)).subs(n_x, n_), -beta / lam),
            "the Final Parameter Expression defines θ with f(x), n(x) and λ, which the document never defines; "
            "read with f, n of the stationarity computation (and λ > 0 of Step 2), θ is the constant −β/λ",
            "Final Parameter Expression",
            uses=["stationary_point_wrt_f"],
            trivial=(
                "θ at the stationary point is evaluated as the line is built (log(n e^{(r−β)/β}/n) = (r − β)/β); the "
                "line records that the expression is the constant −β/λ there"
            ),
        ),
    ],
    records=[
        Record(r"L = -\log \sigma(r(y_w,x) - r(y_l,x))", "definition", "Step 4 defines the loss"),
        Record(r"L = r \cdot f - \beta f \cdot \log \left( \frac{f}{n} \right)", "definition", "the summand"),
        Record(
            r"\theta = \frac{r(y,x) - \beta \cdot \log \left( \frac{f(x)}{n(x)} \right)}{-\lambda}",
            "unverifiable: θ, f(x), n(x) and λ are never defined, so the line asserts nothing checkable",
            "read with f, n of the stationarity computation it is the constant −β/λ "
            "(step final_parameter_at_stationary_point, an observation, not the document's claim)",
        ),
    ],
)
