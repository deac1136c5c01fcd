"""A PyTorch MLP for tabular data: the second model family.

Numeric features are standardised with train statistics (missing -> 0 plus a missing flag);
categorical ones go through embeddings or one-hot (`cat_encoding`). One output per class
(multiclass, cross-entropy), or one logit (binary, BCE) or value (regression, MSE on the
standardised target). Training stops early on validation loss; the validation score of the
tuning metric is reported per epoch, so ASHA prunes on epochs.

Runs on `cuda` when present, else CPU. Every random draw (init, shuffling, dropout) comes from
the trial's own generator, so concurrent trials on threads stay reproducible. Models are saved
as a state_dict (loaded with weights_only=True) plus JSON metadata; no pickle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuneloop.features import Schema, model_name
from tuneloop.io import read_json, write_json
from tuneloop.metrics import (
    BINARY,
    DEFAULT_METRIC,
    MULTICLASS,
    REGRESSION,
    task_metrics,
    to_maximise,
)
from tuneloop.search.trial import TrialContext, TrialOutcome, TrialSpec

STATE_FILE = "mlp.pt"
META_FILE = "mlp.json"
DEFAULTS = {"hidden_units": 64, "n_layers": 2, "dropout": 0.1, "lr": 3e-3,
            "weight_decay": 1e-5, "cat_encoding": "embedding", "embedding_dim": 4}


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass(frozen=True)
class Encoder:
    """Train-set statistics that turn a batch into tensors the same way every time."""

    schema: Schema
    mean: list[float]
    std: list[float]
    target_mean: float = 0.0  # regression: the target is standardised for training
    target_std: float = 1.0

    @classmethod
    def fit(cls, frame: pd.DataFrame, schema: Schema) -> Encoder:
        x = schema.make_features(frame)[schema.expanded_numeric].to_numpy(dtype="float64")
        # A column empty in this window (all NaN) is centred at 0 with scale 1, never handed
        # to nanmean: numpy's warnings about it were printed above `tuneloop replay`'s table
        # (sweep 41b), and silencing them is process-wide (the review).
        seen = np.isfinite(x).any(axis=0)
        mean, std = np.zeros(x.shape[1]), np.ones(x.shape[1])
        with np.errstate(all="ignore"):
            mean[seen] = np.nanmean(x[:, seen], axis=0)
            std[seen] = np.nanstd(x[:, seen], axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        t_mean, t_std = 0.0, 1.0
        if schema.task == REGRESSION:
            y = schema.labels(frame)
            t_mean, t_std = float(y.mean()), float(y.std()) or 1.0
        return cls(schema, mean.tolist(), std.tolist(), t_mean, t_std)

    @property
    def outputs(self) -> int:
        return self.schema.n_classes if self.schema.task == MULTICLASS else 1

    def arrays(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        feats = self.schema.make_features(frame)
        x = feats[self.schema.expanded_numeric].to_numpy(dtype="float64")
        missing = np.isnan(x)
        x = np.where(missing, 0.0, (x - np.array(self.mean)) / np.array(self.std))
        num = np.concatenate([x, missing.astype("float64")], axis=1).astype("float32")
        # code 0 = missing or unseen level; known levels are 1..n
        codes = [feats[model_name(c)].cat.codes.to_numpy() + 1 for c in self.schema.categorical]
        cats = np.stack([*codes, np.zeros(len(feats), dtype="int64")],
                        axis=1)[:, :-1].astype("int64")
        return num, cats

    def target(self, frame: pd.DataFrame) -> np.ndarray:
        y = self.schema.labels(frame)
        if self.schema.task == REGRESSION:
            return ((y - self.target_mean) / self.target_std).astype("float32")
        return y.astype("int64" if self.schema.task == MULTICLASS else "float32")

    def decode(self, raw: np.ndarray) -> np.ndarray:
        """Network outputs to the task's predictions."""
        if self.schema.task == BINARY:
            return 1.0 / (1.0 + np.exp(-raw))
        if self.schema.task == MULTICLASS:
            z = np.exp(raw - raw.max(axis=1, keepdims=True))
            return z / z.sum(axis=1, keepdims=True)
        return raw * self.target_std + self.target_mean

    @property
    def cardinalities(self) -> list[int]:
        return [len(self.schema.levels[c]) + 1 for c in self.schema.categorical]


def build(enc: Encoder, params: dict[str, Any], seed: int) -> Any:
    import torch
    from torch import nn

    p = {**DEFAULTS, **params}

    class Mlp(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.onehot = p["cat_encoding"] == "onehot"
            dim = int(p["embedding_dim"])
            self.cards = enc.cardinalities
            self.embeds = nn.ModuleList(
                [] if self.onehot else [nn.Embedding(c, dim) for c in self.cards])
            width = 2 * len(enc.mean) + (sum(self.cards) if self.onehot else dim * len(self.cards))
            self.hidden = nn.ModuleList()
            for _ in range(int(p["n_layers"])):
                self.hidden.append(nn.Linear(width, int(p["hidden_units"])))
                width = int(p["hidden_units"])
            self.out = nn.Linear(width, enc.outputs)
            self.squeeze = enc.outputs == 1
            self.dropout = float(p["dropout"])

        def forward(self, num: Any, cats: Any, gen: Any = None) -> Any:
            if self.onehot:
                parts = [nn.functional.one_hot(cats[:, i], c).float()
                         for i, c in enumerate(self.cards)]
            else:
                parts = [emb(cats[:, i]) for i, emb in enumerate(self.embeds)]
            h = torch.cat([num, *parts], dim=1)
            for layer in self.hidden:
                h = torch.relu(layer(h))
                if self.training and self.dropout > 0:
                    # Dropout from the trial's generator: the global RNG is shared by threads.
                    keep = torch.rand(h.shape, generator=gen, device=h.device) >= self.dropout
                    h = h * keep / (1.0 - self.dropout)
            out = self.out(h)
            return out.squeeze(1) if self.squeeze else out

    model = Mlp()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for prm in model.parameters():
            if prm.dim() > 1:
                nn.init.kaiming_uniform_(prm, a=math.sqrt(5), generator=gen)
            else:
                nn.init.uniform_(prm, -0.05, 0.05, generator=gen)
    return model


def _tensors(enc: Encoder, frame: pd.DataFrame, dev: str) -> tuple[Any, Any, Any]:
    import torch

    num, cats = enc.arrays(frame)
    y = torch.as_tensor(enc.target(frame), device=dev)
    return torch.as_tensor(num, device=dev), torch.as_tensor(cats, device=dev), y


def _loss(enc: Encoder) -> Any:
    import torch

    task = enc.schema.task
    if task == BINARY:
        return torch.nn.BCEWithLogitsLoss()
    if task == MULTICLASS:
        return torch.nn.CrossEntropyLoss()
    return torch.nn.MSELoss()


def train(enc: Encoder, params: dict[str, Any], seed: int, train_frame: pd.DataFrame,
          valid_frame: pd.DataFrame | None, *, max_epochs: int, patience: int, batch_size: int,
          ctx: TrialContext | None = None, metric: str | None = None
          ) -> tuple[Any, dict[str, float]]:
    """Fit; with a validation frame, stop early on its loss and keep the best epoch's weights.
    `metric` (a task metric) is scored on validation at each better epoch."""
    import torch

    dev = device()
    p = {**DEFAULTS, **params}
    model = build(enc, p, seed).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=float(p["lr"]),
                            weight_decay=float(p["weight_decay"]))
    gen = torch.Generator(device=dev).manual_seed(seed + 1)
    num, cats, y = _tensors(enc, train_frame, dev)
    valid = _tensors(enc, valid_frame, dev) if valid_frame is not None else None
    loss_fn = _loss(enc)
    metric = metric or DEFAULT_METRIC[enc.schema.task]
    y_valid = enc.schema.labels(valid_frame) if valid_frame is not None else None
    best_loss, best_epoch, best_state, best_score = math.inf, 0, None, float("nan")
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        model.train()
        order = torch.randperm(len(y), generator=gen, device=dev)
        for start in range(0, len(y), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(num[idx], cats[idx], gen), y[idx])
            loss.backward()
            opt.step()
        if valid is None:
            continue
        model.eval()
        with torch.no_grad():
            logits = model(valid[0], valid[1])
            vloss = float(loss_fn(logits, valid[2]))
        if not math.isfinite(vloss):
            raise FloatingPointError(f"validation loss is {vloss} at epoch {epoch}")
        if vloss < best_loss:
            best_loss, best_epoch = vloss, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            pred = enc.decode(logits.cpu().numpy().astype("float64"))
            best_score = task_metrics(enc.schema.task, y_valid, pred)[metric]
        if ctx is not None:
            ctx.metrics["epochs_trained"] = float(epoch)
            ctx.report(epoch, to_maximise(metric, best_score))
        if epoch - best_epoch >= patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    return model, {f"valid_{metric}": best_score, "valid_loss": best_loss,
                   "best_iteration": float(best_epoch), "epochs_trained": float(epoch)}


class TorchMlpObjective:
    """One trial: train with early stopping on validation loss, score the tuning metric."""

    def __init__(self, train_frame: pd.DataFrame, valid_frame: pd.DataFrame, *,
                 schema: Schema, max_epochs: int, patience: int,
                 batch_size: int, metric: str, num_threads: int, measure: Any = None) -> None:
        self._train, self._valid = train_frame, valid_frame
        self.encoder = Encoder.fit(train_frame, schema)
        self._max_epochs, self._patience, self._batch = max_epochs, patience, batch_size
        self._metric = metric
        self._threads = num_threads
        self._measure = measure  # tuneloop.constraints.Measurer, or None

    def __call__(self, spec: TrialSpec, ctx: TrialContext | None = None) -> TrialOutcome:
        import torch

        ctx = ctx or TrialContext(spec)
        torch.set_num_threads(self._threads)  # process-wide; every trial asks for the same
        params = {k: v for k, v in spec.params.items() if k != "family"}
        # GPUs the trial held (cost.per_gpu_hour), known to a pruned trial too.
        ctx.metrics["gpus"] = float(device().startswith("cuda"))
        model, metrics = train(self.encoder, params, spec.seed, self._train, self._valid,
                               max_epochs=self._max_epochs, patience=self._patience,
                               batch_size=self._batch, ctx=ctx, metric=self._metric)
        value = to_maximise(self._metric, metrics[f"valid_{self._metric}"])
        from tuneloop.constraints import measure_model

        measured = measure_model(self._measure, "torch_mlp", (model, self.encoder), spec)
        return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=value,
                            metrics={**metrics, "gpus": ctx.metrics["gpus"], **measured},
                            seconds=ctx.elapsed())


def predict(model: Any, enc: Encoder, frame: pd.DataFrame) -> np.ndarray:
    import torch

    model.eval()
    dev = next(model.parameters()).device
    num, cats = enc.arrays(frame)
    with torch.no_grad():
        logits = model(torch.as_tensor(num, device=dev), torch.as_tensor(cats, device=dev))
    return enc.decode(logits.cpu().numpy().astype("float64"))


def save(model: Any, enc: Encoder, params: dict[str, Any], seed: int, directory: Path) -> None:
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.cpu() for k, v in model.state_dict().items()}, directory / STATE_FILE)
    write_json(directory / META_FILE, {"family": "torch_mlp", "params": params, "seed": seed,
                                       "schema": enc.schema.to_dict(), "mean": enc.mean,
                                       "std": enc.std, "target_mean": enc.target_mean,
                                       "target_std": enc.target_std})


def load(directory: Path) -> tuple[Any, Encoder]:
    import torch

    meta = read_json(directory / META_FILE)
    enc = Encoder(Schema.from_dict(meta["schema"]), meta["mean"], meta["std"],
                  meta["target_mean"], meta["target_std"])
    model = build(enc, meta["params"], meta["seed"])
    state = torch.load(directory / STATE_FILE, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.to(device()), enc
