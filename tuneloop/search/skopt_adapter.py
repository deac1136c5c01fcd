"""scikit-optimize behind the SearchStrategy interface; its types never leave this module.

Asynchronous parallelism: when a worker frees up, the optimizer is asked for one point while
others are still running. Pending points are told to a scratch optimizer with the "constant
liar" value (the best value seen so far), so a new proposal is pushed away from running ones.

Conditional spaces: skopt sees every dimension; inactive ones are pinned to their default before
the point is told, so the surrogate never learns from a value that had no effect, and the
proposal handed out holds only the active dimensions.

A point whose trial failed for good is banned: if the surrogate proposes it again, a random
point is drawn instead.

Constraints (`limits`: a measure's name -> the largest allowed value, e.g. size_bytes): a
completed trial is told its measures too; each constraint gets a second GP on log(value/limit)
and expected improvement is weighed by the probability that every limit holds (constrained EI,
Gardner et al. 2014), improving on the best *feasible* value; before any trial was feasible the
proposal maximises that probability alone. Extra objectives (`objectives`: measures minimised
alongside the metric) are scalarised ParEGO-style: each ask draws a random weighting and fits
the GP on the augmented Chebyshev scalarisation of the normalised objectives, so successive
proposals spread along the Pareto front. Both steer the "gp" strategy; the others only record.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np

from tuneloop.search.space import SearchSpace
from tuneloop.search.strategy import Proposal

# "random" keeps skopt's sampler but never fits a model (skopt's own "dummy" estimator fails
# with scikit-learn >= 1.6).
_ESTIMATORS = {"gp": "GP", "rf": "RF", "et": "ET", "random": "GP"}


def _skopt_dimensions(space: SearchSpace) -> list[Any]:
    from skopt.space import Categorical, Integer, Real

    dims = []
    for d in space.dimensions:
        prior = "log-uniform" if d.log else "uniform"
        if d.kind == "real":
            dims.append(Real(d.low, d.high, prior=prior, name=d.name))
        elif d.kind == "integer":
            dims.append(Integer(int(d.low), int(d.high), prior=prior, name=d.name))
        else:
            dims.append(Categorical(list(d.choices), name=d.name))
    return dims


@functools.cache
def _blas_controller() -> Any:
    """Found once: threadpool_limits() re-scans the loaded libraries on every call (~3 ms).
    skopt and scipy's linear algebra are imported first so their BLAS is among those found."""
    import scipy.linalg  # noqa: F401
    import skopt  # noqa: F401
    from threadpoolctl import ThreadpoolController

    # BLAS only: OpenMP belongs to the LightGBM trials running on other threads meanwhile.
    return ThreadpoolController().select(user_api="blas")


@functools.cache
def _fast_gp_class() -> Any:
    from skopt.learning import GaussianProcessRegressor

    class FastGP(GaussianProcessRegressor):
        """skopt's GP with the predictive variance as a matrix product: skopt's three-operand
        einsum is unoptimised (O(k n^2) in Python-level loops, 23 ms for 1,000 candidates at 80
        observations); K_trans @ K_inv costs well under a millisecond."""

        def predict(self, X: Any, return_std: bool = False, return_cov: bool = False,
                    return_mean_grad: bool = False, return_std_grad: bool = False) -> Any:
            plain = return_std and not (return_cov or return_mean_grad or return_std_grad)
            if not plain or not hasattr(self, "X_train_"):
                return super().predict(X, return_std, return_cov, return_mean_grad,
                                       return_std_grad)
            X = np.asarray(X, dtype=float)
            k_trans = self.kernel_(X, self.X_train_)
            y_mean = self.y_train_std_ * k_trans.dot(self.alpha_) + self.y_train_mean_
            y_var = self.kernel_.diag(X) - np.einsum("ij,ij->i", k_trans @ self.K_inv_, k_trans)
            return y_mean, np.sqrt(np.clip(y_var, 0.0, None)) * self.y_train_std_

        def fit(self, X: Any, y: Any) -> Any:
            self._fixed_kernel = self.optimizer is None
            try:
                return super().fit(X, y)
            finally:
                self._fixed_kernel = False

        def log_marginal_likelihood(self, theta: Any = None, eval_gradient: bool = False,
                                    clone_kernel: bool = True) -> Any:
            # With a fixed kernel, fit() computes the likelihood only to store it: a second
            # kernel matrix and Cholesky factorisation per ask that nothing here reads.
            if getattr(self, "_fixed_kernel", False) and not eval_gradient:
                return float("nan")
            return super().log_marginal_likelihood(theta, eval_gradient, clone_kernel)

    return FastGP


def sample_candidates(space: Any, n: int, rng: Any) -> tuple[list[Any], np.ndarray]:
    """skopt's `space.transform(space.rvs(n, rng))` without its two row-by-row Python
    transposes (6 ms of a ~25 ms ask at 1,000 candidates): the same draws, in the same order,
    the same transformed matrix. Returns the columns in the untransformed space and the matrix.
    Only for spaces without a constraint (ours never have one)."""
    columns = [dim.rvs(n_samples=n, random_state=rng) for dim in space.dimensions]
    transformed = np.hstack([np.asarray(dim.transform(column)).reshape((n, -1))
                             for dim, column in zip(space.dimensions, columns, strict=True)])
    return columns, transformed


def _short_lbfgs(obj_func: Any, initial_theta: Any, bounds: Any) -> tuple[Any, float]:
    """Kernel hyperparameters by L-BFGS-B capped at 40 iterations: it starts from the previous
    estimate, so a few steps suffice, and an uncapped fit cost ~0.3 s (the p95 of ask)."""
    from scipy.optimize import minimize

    res = minimize(obj_func, initial_theta, method="L-BFGS-B", jac=True, bounds=bounds,
                   options={"maxiter": 40})
    return res.x, float(res.fun)


def _numpy_seed(seed: int) -> int:
    """A numpy `RandomState` seed (below 2**32) from a study seed (any non-negative 64-bit
    integer): the high half, scrambled by an odd constant, added to the low half, so a seed
    below 2**32 is itself (and proposes what it always did)."""
    return (seed + (seed >> 32) * 0x9E37_79B9) % 2**32


def _log_margin(value: float | None, limit: float) -> float:
    """log(value / limit), clipped to [-5, 5]: <= 0 within the limit; a missing measure is far
    outside it. Clipped so a value near zero (a group gap of 0.0001) is no outlier to the GP."""
    if value is None or not math.isfinite(value):
        return 5.0
    return min(5.0, max(-5.0, math.log(max(value, 1e-12) / limit)))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


class SkoptStrategy:
    def __init__(self, space: SearchSpace, kind: str = "gp", seed: int = 0,
                 n_initial_points: int = 8, max_gp_points: int | None = 200,
                 limits: dict[str, float] | None = None,
                 objectives: tuple[str, ...] = ()) -> None:
        if kind not in _ESTIMATORS:
            raise ValueError(f"unknown strategy {kind!r}; one of {', '.join(_ESTIMATORS)}")
        self._space = space
        self._kind = kind
        self._seed = _numpy_seed(seed)  # every random state below derives from it
        self._n_initial = n_initial_points
        if max_gp_points is not None and max_gp_points < max(4, n_initial_points):
            raise ValueError(f"max_gp_points must be at least max(4, n_initial_points), got "
                             f"{max_gp_points}")
        self._max_gp_points = max_gp_points
        self._dims = _skopt_dimensions(space)
        self._observed: list[tuple[list[Any], float]] = []
        self._limits = dict(limits or {})
        self._objectives = tuple(objectives)
        # Completed trials' measures (constraints and extra objectives), by point.
        self._measured: list[tuple[list[Any], float, dict[str, float]]] = []
        # Trials stopped early because a measure that only grows already broke its limit
        # (compute): they teach the feasibility model that constraint, nothing else.
        self._over: list[tuple[list[Any], dict[str, float]]] = []
        self._scalarised = False  # this ask fits the GP on the objectives' scalarisation
        self._feasibility_kernels: dict[str, tuple[Any, int]] = {}  # limit -> (kernel, fit at)
        self._pending: dict[int, list[Any]] = {}
        self._banned: set[tuple[Any, ...]] = set()
        self._next_id = 0
        self._kernel: Any = None  # the GP kernel's last fitted hyperparameters
        self._noise = 1e-10
        self._kernel_n = 0
        self._refit_at: int | None = None
        self._sk_space: Any = None

    def _derived_seed(self, extra: int = 0) -> int:
        """This ask's random state: the seed and the next proposal id (plus `extra`), wrapped
        into numpy's range."""
        return (self._seed * 100_003 + self._next_id + extra) % 2**32

    def _gp(self, n_obs: int) -> Any:
        """The GP surrogate, cheap to fit: its kernel hyperparameters are re-estimated only when
        the data grew by a quarter (or 10 points) since the last estimate, and warm-started
        from it; in between the kernel is fixed and a fit is one Cholesky factorisation."""
        from skopt.learning.gaussian_process.kernels import ConstantKernel, Matern
        from skopt.space import Space
        from skopt.utils import normalize_dimensions

        if self._kernel is None:
            n_dims = Space(normalize_dimensions(self._dims)).transformed_n_dims
            kernel = ConstantKernel(1.0, (0.01, 1000.0)) * Matern(
                length_scale=np.ones(n_dims), length_scale_bounds=(0.01, 100.0), nu=2.5)
        else:
            kernel = self._kernel
        GaussianProcessRegressor = _fast_gp_class()  # noqa: N806 - a class
        grown = max(self._kernel_n * 1.25, self._kernel_n + 10)
        if self._max_gp_points is not None:
            # Past the cap the subset turns over faster than the study grows: re-estimate
            # after a quarter of the cap's worth of new points at the latest.
            grown = min(grown, self._kernel_n + self._max_gp_points // 4)
        stale = self._kernel is None or n_obs >= grown
        if stale:
            self._refit_at = n_obs
            return GaussianProcessRegressor(kernel=kernel, normalize_y=True, noise="gaussian",
                                            n_restarts_optimizer=0, optimizer=_short_lbfgs,
                                            random_state=self._seed)
        return GaussianProcessRegressor(kernel=kernel, normalize_y=True, noise=self._noise,
                                        optimizer=None)

    def _normalized_space(self) -> Any:
        if self._sk_space is None:
            from skopt.space import Space
            from skopt.utils import normalize_dimensions

            self._sk_space = Space(normalize_dimensions(self._dims))
        return self._sk_space

    def _gp_propose(self, space: Any, xs: list[list[Any]], ys: list[float]) -> list[Any]:
        """skopt's GP and space, with expected improvement (xi=0.01, as skopt's "EI") scored
        on 1,000 candidates drawn from the space. Same maths as Optimizer.tell + ask with
        acq_optimizer="sampling", without rebuilding an Optimizer and re-validating every
        point on each ask, which was most of the remaining ~15 ms."""
        from scipy.stats import norm
        from sklearn.exceptions import ConvergenceWarning

        # Kernel re-estimates follow the whole study's growth, not the capped subset's.
        gp = self._gp(len(self._observed) + len(self._pending))
        y = np.asarray(ys, dtype=float)
        with warnings.catch_warnings():
            # A length scale at its bound means "this dimension hardly matters": expected, not
            # something a user can act on, and it would print on every kernel re-fit.
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(space.transform(xs), y)
        self._remember_kernel(gp)
        rng = np.random.RandomState(self._derived_seed())
        columns, transformed = sample_candidates(space, 1000, rng)
        mu, std = gp.predict(transformed, return_std=True)
        feasible = self._feasibility(space, transformed)
        incumbent = y.min() if feasible is None else self._best_feasible()
        if incumbent is None:  # nothing feasible yet: find the feasible region first
            best = int(np.argmax(feasible))
            return [column[best] for column in columns]
        improvement = incumbent - mu - 0.01
        with np.errstate(divide="ignore", invalid="ignore"):
            z = improvement / std
            ei = np.where(std > 0, improvement * norm.cdf(z) + std * norm.pdf(z), 0.0)
        if feasible is not None:
            ei = ei * feasible
            if not ei.max() > 1e-9 * max(float(np.ptp(y)), 1e-12):
                # No candidate is expected to improve by anything (values packed tighter than
                # xi): the argmax of vanishing numbers would be as good as random, and could
                # be a point nearly sure to break a limit. The best predicted among the
                # likely feasible instead, or the likeliest feasible.
                likely = feasible >= 0.5
                ei = np.where(likely, -mu, -np.inf) if likely.any() else feasible
        best = int(np.argmax(ei))
        return [column[best] for column in columns]

    def _best_feasible(self) -> float | None:
        """The lowest value among trials that met every limit, on the scale the GP was just
        fitted on (this ask's scalarisation, or the metric)."""
        values = self._measured_values() if self._scalarised else [
            y for _, y, _ in self._measured]
        feasible = [y for (_, _, m), y in zip(self._measured, values, strict=True)
                    if self.feasible(m)]
        return min(feasible) if feasible else None

    @property
    def limits(self) -> dict[str, float]:
        return dict(self._limits)

    def feasible(self, measures: dict[str, float]) -> bool:
        """Every limit holds; a measure that is missing counts as broken (as at the gate)."""
        return all(name in measures and measures[name] <= limit
                   for name, limit in self._limits.items())

    def _feasibility(self, space: Any, transformed: np.ndarray) -> np.ndarray | None:
        """P(every limit holds) at each candidate: a GP per constraint on log(value / limit)
        of the completed trials, independent constraints multiplied. None without limits."""
        if not self._limits or not (self._measured or self._over):
            return None
        from scipy.stats import norm
        from sklearn.exceptions import ConvergenceWarning

        rows = [(x, m) for x, _, m in self._measured] + self._over
        prob = np.ones(len(transformed))
        for name, limit in self._limits.items():
            # A completed trial without the measure broke it (as at the gate); a stopped one
            # says nothing about the measures it never reached.
            known = [(x, m) for i, (x, m) in enumerate(rows)
                     if i < len(self._measured) or name in m]
            used = known[-self._cap():]
            if not used:
                continue
            margin = np.array([_log_margin(m.get(name), limit) for _, m in used])
            if margin.max() <= math.log(0.5):
                # Every trial so far used under half of it: nowhere near binding, and a GP
                # per limit on every ask is not free (the defaults set two generous limits).
                continue
            if np.ptp(margin) == 0:  # one value everywhere: feasible or not, the same for all
                prob *= float(margin[0] <= 0)
                continue
            xs = space.transform([x for x, _ in used])
            # Re-estimates follow the study's growth, not the capped subset's.
            model = self._feasibility_gp(name, xs.shape[1], len(known))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(xs, margin)
            self._feasibility_kernels[name] = (model.kernel_, self._feasibility_kernels.get(
                name, (None, 0))[1] if model.optimizer is None else len(known))
            mu, std = model.predict(transformed, return_std=True)
            prob *= norm.cdf(-mu / np.maximum(std, 1e-9))
        return prob

    def _cap(self) -> int:
        return self._max_gp_points or 10**9

    def _feasibility_gp(self, name: str, n_dims: int, n_obs: int) -> Any:
        """A constraint's GP; its kernel re-estimated (warm-started) only when the data grew by
        a quarter or 10 points since, as for the objective's GP."""
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        kernel, fitted_at = self._feasibility_kernels.get(name, (None, 0))
        if kernel is None or n_obs >= max(fitted_at * 1.25, fitted_at + 10):
            start = kernel or (ConstantKernel(1.0, (0.01, 100.0)) * Matern(
                np.ones(n_dims), (0.01, 100.0), nu=2.5) + WhiteKernel(1e-3, (1e-6, 1.0)))
            return GaussianProcessRegressor(start, normalize_y=True, random_state=self._seed,
                                            optimizer=_short_lbfgs)
        return GaussianProcessRegressor(kernel, normalize_y=True, optimizer=None)

    def _remember_kernel(self, model: Any) -> None:
        from sklearn.gaussian_process.kernels import Sum, WhiteKernel

        if self._refit_at is None:
            return
        k = model.kernel_
        self._kernel = k.k1 if isinstance(k, Sum) and isinstance(k.k2, WhiteKernel) else k
        self._noise = max(float(model.noise_ or 1e-10), 1e-10)
        self._kernel_n = self._refit_at
        self._refit_at = None

    def _optimizer(self, n_obs: int) -> Any:
        from skopt import Optimizer

        kwargs: dict[str, Any] = {}
        estimator: Any = _ESTIMATORS[self._kind]
        if self._kind == "gp":
            # "sampling" avoids lbfgs restarts on the acquisition (stack notes); EI alone
            # instead of the gp_hedge portfolio scores the candidates once, not three times.
            # 1,000 candidates: the EI scan is the largest cost of an ask at ~100 observations.
            kwargs = {"acq_optimizer": "sampling", "acq_func": "EI",
                      "acq_optimizer_kwargs": {"n_points": 1000}}
            estimator = self._gp(n_obs)
        elif self._kind in ("rf", "et"):
            # skopt's default forests have 100 trees (~1 s per ask here); 32 trees keep the
            # uncertainty estimate usable at a fraction of the cost.
            from skopt.learning import ExtraTreesRegressor, RandomForestRegressor

            forest = RandomForestRegressor if self._kind == "rf" else ExtraTreesRegressor
            estimator = forest(n_estimators=32, min_samples_leaf=3, random_state=self._seed)
            kwargs = {"acq_optimizer": "sampling", "acq_optimizer_kwargs": {"n_points": 2000}}
        return Optimizer(self._dims, base_estimator=estimator,
                         n_initial_points=10**9 if self._kind == "random" else self._n_initial,
                         random_state=self._derived_seed(), **kwargs)

    def ask(self) -> Proposal:
        if self._kind == "random":  # no linear algebra: no BLAS limit to set and restore
            return self._ask_random()
        # One BLAS thread: the trials own the cores; a multi-threaded BLAS fighting them made
        # each ask ~5x slower here (measured: 20 GP asks 20.5 s vs 4.0 s).
        with _blas_controller().limit(limits=1):
            return self._ask()

    def _ask_random(self) -> Proposal:
        """The point `Optimizer(dims, "GP", n_initial_points=10**9, random_state=seed).ask()`
        draws, after any tell, without building that optimizer and re-telling it every
        observation (10-60 ms per ask, growing with the study; this is ~0.1 ms): its seed's
        RandomState gives one draw to the estimator it cooks, then the point comes from the
        normalized space. A random optimizer never fits, so what was told never changes it."""
        rng = np.random.RandomState(self._derived_seed())
        rng.randint(0, np.iinfo(np.int32).max)  # Optimizer.__init__: cook_estimator's seed
        space = self._normalized_space()
        x = self._canonical([_plain(v) for v in space.rvs(random_state=rng)[0]])
        return self._pending_proposal(self._unbanned(x, space))

    def _gp_subset(self) -> list[tuple[list[Any], float]]:
        """The observations the GP is fitted on. Past `max_gp_points` its cost (cubic to fit,
        quadratic per candidate) would outgrow the trials it steers, so it keeps the best
        quarter and the most recent rest: the good region and the current frontier, in the
        order they were observed. Far-off poor points add little to expected improvement."""
        cap = self._max_gp_points
        if cap is None or len(self._observed) <= cap:
            return self._observed
        ranked = sorted(range(len(self._observed)), key=lambda i: self._observed[i][1])
        keep = set(ranked[: cap // 4])
        for i in range(len(self._observed) - 1, -1, -1):
            if len(keep) >= cap:
                break
            keep.add(i)
        return [self._observed[i] for i in sorted(keep)]

    def _measured_values(self) -> list[float]:
        """The completed trials' values the GP sees: the metric, or with extra objectives this
        ask's scalarisation of them (the weights drawn from this ask's seed)."""
        if not self._objectives:
            return [y for _, y, _ in self._measured]
        names = ("value", *self._objectives)
        table = np.array([[y, *(math.log(max(m.get(o, np.inf), 1e-12)) for o in self._objectives)]
                          for _, y, m in self._measured], dtype=float)
        table[~np.isfinite(table)] = np.nan
        low, high = np.nanmin(table, axis=0), np.nanmax(table, axis=0)
        scaled = (table - low) / np.where(high > low, high - low, 1.0)
        scaled = np.nan_to_num(scaled, nan=1.0)  # an unmeasured objective: the worst seen
        weights = np.random.RandomState(self._derived_seed(7)).dirichlet(np.ones(len(names)))
        return list(np.max(scaled * weights, axis=1) + 0.05 * scaled @ weights)

    def _ask(self) -> Proposal:
        self._scalarised = bool(self._objectives and self._kind == "gp"
                                and len(self._measured) >= self._n_initial)
        if self._scalarised:
            # ParEGO: this ask's weighting of the objectives, on the completed trials.
            observed = [(x, y) for (x, _, _), y in zip(self._measured, self._measured_values(),
                                                       strict=True)][-self._cap():]
        else:
            observed = self._gp_subset() if self._kind == "gp" else self._observed
        xs = [x for x, _ in observed] + list(self._pending.values())
        lie = min((y for _, y in observed), default=0.0)
        ys = [y for _, y in observed] + [lie] * len(self._pending)
        if self._kind == "gp" and len(xs) >= self._n_initial:
            space = self._normalized_space()
            x = self._canonical([_plain(v) for v in self._gp_propose(space, xs, ys)])
        else:
            opt = self._optimizer(len(xs))
            if xs:
                opt.tell(xs, ys)
            space = opt.space
            x = self._canonical([_plain(v) for v in opt.ask()])
        return self._pending_proposal(self._unbanned(x, space))

    def _unbanned(self, x: list[Any], space: Any) -> list[Any]:
        """`x`, or when it is banned a random point drawn instead (100 draws at most)."""
        draws = 0
        while tuple(x) in self._banned and draws < 100:
            draws += 1
            rng = self._derived_seed(self._next_id * 1_008 + draws)
            x = self._canonical([_plain(v) for v in space.rvs(random_state=rng)[0]])
        return x

    def _pending_proposal(self, x: list[Any], refines: int | None = None) -> Proposal:
        """Hand out canonical point `x` under the next id and count it as pending."""
        full = dict(zip(self._space.names, x, strict=True))
        proposal = Proposal(self._next_id, self._space.active(full), refines)
        self._pending[proposal.id] = x
        self._next_id += 1
        return proposal

    def _canonical(self, x: list[Any]) -> list[Any]:
        full = self._space.complete(dict(zip(self._space.names, x, strict=True)))
        return [full[name] for name in self._space.names]

    def tell(self, proposal_id: int, value: float, *, complete: bool = True,
             measures: dict[str, float] | None = None) -> None:
        # A pruned trial's rung score is learnt as is: a pessimistic low-fidelity value. Only a
        # completed trial's measures say whether its configuration meets the limits.
        x = self._pending.pop(proposal_id)
        self._observed.append((x, float(value)))
        self._measure(x, float(value), complete, measures)

    def _measure(self, x: list[Any], value: float, complete: bool,
                 measures: dict[str, float] | None) -> None:
        if complete and (self._limits or self._objectives):
            self._measured.append((x, value, dict(measures or {})))
        elif measures and any(name in measures and measures[name] > limit
                              for name, limit in self._limits.items()):
            # Censored: it was stopped just past the limit, and would have gone on. Learnt
            # as twice the limit, or the feasibility GP would see it as borderline.
            self._over.append((x, {name: 2 * self._limits[name]
                                   if name in self._limits and value > self._limits[name]
                                   else value for name, value in measures.items()}))

    def enqueue(self, params: dict[str, Any], refines: int | None = None) -> Proposal:
        """A point chosen outside the surrogate (a known default, a refinement), pending like
        any proposal, so the constant liar keeps other proposals away from it."""
        x = self._canonical([params.get(d.name, d.default) for d in self._space.dimensions])
        return self._pending_proposal(x, refines)

    def ban(self, proposal_id: int, value: float) -> None:
        """The trial failed for good: learn a bad value there and never propose it again."""
        x = self._pending.pop(proposal_id, None)
        if x is not None:
            self._banned.add(tuple(x))
            self._observed.append((x, float(value)))

    def forget(self, proposal_id: int) -> None:
        self._pending.pop(proposal_id, None)

    def observe(self, params: dict[str, Any], value: float) -> bool:
        """Warm start: learn from an earlier study's trial; False when it does not fit the space."""
        if not self._space.contains(params):
            return False
        full = self._space.complete(params)
        self._observed.append(([full[n] for n in self._space.names], float(value)))
        return True

    def replay(self, proposal_id: int, params: dict[str, Any], value: float | None,
               banned: bool = False, *, refines: int | None = None,
               complete: bool = True, measures: dict[str, float] | None = None) -> None:
        """Rebuild state from a journal: a finished trial (value) or one to run again (None)."""
        full = self._space.complete(params)
        x = [full[name] for name in self._space.names]
        self._next_id = max(self._next_id, proposal_id + 1)
        if value is not None:
            self._observed.append((x, float(value)))
            if not banned:
                self._measure(x, float(value), complete, measures)
        if banned:
            self._banned.add(tuple(x))
        elif value is None:
            self._pending[proposal_id] = x
