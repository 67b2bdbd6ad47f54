"""The family of one comparison's verdicts: Holm's step-down correction across its metrics.

One comparison reports several metrics (image AUROC, pixel AUROC, AUPRO), each with its own
p-value. Holm's rule keeps the chance that *any* of them reads better or worse when none differs
at α (whatever their dependence): the smallest p is held to α / k, the next to α / (k − 1), …
The adjusted p-values express the same rule: a metric is significant when its adjusted p ≤ α.
scipy has no Holm correction (``scipy.stats.false_discovery_control`` controls the false
discovery rate, a weaker promise), so it is written out here.
"""

from __future__ import annotations

import numpy as np


def holm_adjusted(p_values) -> np.ndarray:
    """Holm-adjusted p-values along the last axis (a family; leading axes a batch of families) over
    its non-NaN entries (NaN stays NaN): p̃_(i) = max_{j ≤ i} min(1, (k − j + 1) · p_(j)), p ascending.

    >>> holm_adjusted([0.01, 0.04, 0.03, np.nan])
    array([0.03, 0.06, 0.06,  nan])
    """
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, axis=-1, kind="stable")  # NaN last
    ranked = np.take_along_axis(p, order, axis=-1)
    k = np.sum(~np.isnan(p), axis=-1, keepdims=True)
    adjusted = np.minimum(1.0, np.maximum.accumulate((k - np.arange(p.shape[-1])) * ranked, axis=-1))
    out = np.empty_like(adjusted)
    np.put_along_axis(out, order, adjusted, axis=-1)
    return out


def family_level(alpha: float, size: int) -> float:
    """The level the smallest p of a family of ``size`` must meet under Holm: α / size."""
    return alpha / max(size, 1)
