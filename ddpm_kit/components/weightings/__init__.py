"""Per-sample loss weightings w(SNR(t)), one spec module each.

Call contract: a weighting is its spec (``needs_impl = False``): ``weight_reference(snr, parameterization)``;
``base_impl.weight_table`` tabulates it per timestep.

A weighting multiplies the per-sample simple loss by w(SNR(t)); see ``ddpm_kit.diffusion.objective`` for
where exactly. Weights are given for every parameterization in the form that makes them the same
objective: with snr = alpha_bar / (1 - alpha_bar), |x0 - x0_hat|^2 = |eps - eps_hat|^2 / snr and
|v - v_hat|^2 = |eps - eps_hat|^2 (snr + 1) / snr. Each spec's ``weight_reference`` is the formula; the
model tabulates it per timestep (``ddpm_kit.components.weightings.base_impl.weight_table``).
"""
