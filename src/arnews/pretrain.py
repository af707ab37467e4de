"""The story of one pre-training run, top to bottom.

seed → gather unlabelled text (train splits only) → hold out a slice → tokenizer and
encoder (new, or an existing checkpoint) → packed blocks → masked-language modelling
with ``transformers.Trainer`` → save and log the encoder, which ``train.py`` then
fine-tunes with ``model.pretrained=runs:/<run_id>/encoder`` or a folder.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import mlflow
import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf
from transformers import TrainingArguments, set_seed

from arnews import tracking
from arnews.components import build_normalizer, build_trainer, load_data
from arnews.encoders import resolve_pretrained
from arnews.errors import ArnewsError
from arnews.models.checkpoints import latest_complete_checkpoint
from arnews.pretraining.corpus import documents, held_out
from arnews.models.settings import check_training_args
from arnews.pretraining.encoder import load_for_mlm, new_bert, train_wordpiece
from arnews.pretraining.mlm import MaskedPositionsTrainer, MaskingCollator, ThroughputCallback, mask_once
from arnews.pretraining.packing import pack
from arnews.pretraining.word_vectors import ppmi_svd, seed_embeddings
from arnews.run_context import output_dir, overrides, project_root

log = logging.getLogger(__name__)

RUN_ID_FILE = "mlflow_run_id.txt"


def gather(sources, normalizer) -> tuple[list[str], dict[str, int]]:
    """Documents of every source's train split; dev and test are never read."""
    docs, counts = [], {}
    for name, source in sources.items():
        rows = load_data(source, splits=("train",), normalizer=normalizer)["train"]
        found = documents(rows)
        counts[name] = len(found)
        docs.extend(found)
        log.info("corpus source %s: %d documents", name, len(found))
    docs = list(dict.fromkeys(docs))
    if not docs:
        raise ArnewsError("the pre-training corpus is empty; add sources with "
                          "+data@corpus.sources.NAME=<data option>")
    return docs, counts


def _training_args(cfg, out: Path, evaluate: bool) -> TrainingArguments:
    recipe = OmegaConf.to_container(cfg.pretrain.training, resolve=True)
    check_training_args({**recipe, "seed": cfg.seed}, {k: f"pretrain.training.{k}" for k in recipe})
    trainer = build_trainer(cfg.trainer)
    recipe["per_device_train_batch_size"] *= int(trainer.batch_scale)
    args = dict(output_dir=str(out / "checkpoints"), report_to="none", seed=cfg.seed,
                max_steps=cfg.pretrain.max_steps, eval_strategy="steps" if evaluate else "no",
                eval_steps=cfg.pretrain.eval_steps, save_strategy="steps",
                save_steps=cfg.pretrain.save_steps, save_total_limit=2,
                logging_steps=cfg.pretrain.logging_steps, prediction_loss_only=True,
                remove_unused_columns=False, dataloader_drop_last=True)
    args.update(recipe)
    args.update(trainer.args)
    return TrainingArguments(**args)


def _resume_point(resume) -> tuple[Path | None, str | None, str | None]:
    """(run folder, last checkpoint, MLflow run id) of the run to resume, if any."""
    if not resume:
        return None, None, None
    folder = Path(str(resume)).expanduser()
    checkpoint = latest_complete_checkpoint(folder / "checkpoints")
    if checkpoint is None:
        raise ArnewsError(f"pretrain.resume={resume}: no checkpoint-* folder that finished saving "
                          f"under {folder / 'checkpoints'}; pass the output folder of an earlier "
                          "pretrain.py run")
    run_file = folder / RUN_ID_FILE
    return folder, str(checkpoint), run_file.read_text().strip() if run_file.is_file() else None


def pretrain(cfg: DictConfig) -> float:
    """Pre-train, save and log the encoder; return the final held-out MLM loss."""
    set_seed(cfg.seed)
    if cfg.trainer.get("num_threads"):
        torch.set_num_threads(int(cfg.trainer.num_threads))
    folder, checkpoint, run_id = _resume_point(cfg.pretrain.resume)
    out = folder or output_dir("outputs/pretrain")
    out.mkdir(parents=True, exist_ok=True)

    docs, counts = gather(cfg.corpus.sources, build_normalizer(cfg.normalize))
    train_docs, held_docs = held_out(docs, cfg.pretrain.held_out_fraction, cfg.seed)
    log.info("pre-training text: %d documents, %d held out", len(train_docs), len(held_docs))

    tags = {"corpus": cfg.corpus.name, "model": cfg.model.name, "seed": str(cfg.seed),
            "git_commit": tracking.git_commit(project_root()),
            "overrides": " ".join(overrides()) or "(none)", "stage": "pretrain"}
    with tracking.tracked_run(cfg.tracking.uri, cfg.tracking.experiment,
                              run_name=cfg.tracking.run_name, tags=tags, run_id=run_id) as run:
        (out / RUN_ID_FILE).write_text(run.info.run_id)
        started = time.perf_counter()
        if cfg.model.pretrained is None:
            shape = OmegaConf.to_container(cfg.model.compact, resolve=True)
            fixed_vocab = shape.pop("tokenizer", None)
            if checkpoint or fixed_vocab:  # the vocabulary exists already; do not retrain it
                from transformers import AutoTokenizer
                tokenizer = AutoTokenizer.from_pretrained(
                    checkpoint or resolve_pretrained(fixed_vocab, cfg.paths.cache_dir),
                    trust_remote_code=False)
            else:
                tokenizer = train_wordpiece(train_docs, shape["vocab_size"], shape["min_frequency"],
                                            shape["max_position_embeddings"])
            model = new_bert(tokenizer, cfg.seed, **shape)
            source = "scratch"
        else:
            source = resolve_pretrained(cfg.model.pretrained, cfg.paths.cache_dir)
            tokenizer, model = load_for_mlm(source)
        block_size = min(cfg.pretrain.block_size, model.config.max_position_embeddings)
        train_blocks = pack(tokenizer, train_docs, block_size, desc="train text")
        held_blocks = pack(tokenizer, held_docs, block_size, desc="held-out text") if held_docs else None

        if source == "scratch" and not checkpoint and cfg.pretrain.init_embeddings == "ppmi_svd":
            vectors = ppmi_svd(np.asarray(train_blocks["input_ids"]), len(tokenizer),
                               model.config.hidden_size, skip_ids=tokenizer.all_special_ids,
                               seed=cfg.seed)
            n = seed_embeddings(model.get_input_embeddings(), vectors, model.config.initializer_range)
            log.info("embeddings of %d tokens seeded from PPMI-SVD word vectors (%.0f s)",
                     n, time.perf_counter() - started)
        elif cfg.pretrain.init_embeddings not in (None, "ppmi_svd"):
            raise ArnewsError(f"pretrain.init_embeddings={cfg.pretrain.init_embeddings!r}; use "
                              "ppmi_svd or null")

        args = _training_args(cfg, out, evaluate=held_blocks is not None)
        collator = MaskingCollator(tokenizer, cfg.pretrain.mlm_probability, cfg.pretrain.whole_word_mask)
        tokens_per_step = (args.per_device_train_batch_size * args.gradient_accumulation_steps
                           * args.world_size * block_size)
        if not checkpoint:
            tracking.log_params(tracking.flatten(cfg))
            mlflow.log_text(OmegaConf.to_yaml(cfg, resolve=True), "config.yaml")
            tracking.log_metrics({"corpus/train_documents": len(train_docs),
                                  "corpus/held_out_documents": len(held_docs),
                                  "corpus/train_blocks": len(train_blocks),
                                  "corpus/train_tokens": len(train_blocks) * block_size,
                                  **{f"corpus/documents_{k}": v for k, v in counts.items()}})
        trainer = MaskedPositionsTrainer(
            model=model, args=args, train_dataset=train_blocks,
            eval_dataset=mask_once(held_blocks, collator, cfg.seed) if held_blocks else None,
            data_collator=collator, processing_class=tokenizer,
            callbacks=[ThroughputCallback(tokens_per_step, tracking.log_metrics)])
        trainer.train(resume_from_checkpoint=checkpoint)
        final = trainer.evaluate() if held_blocks is not None else {}
        loss = float(final.get("eval_loss", float("nan")))
        tracking.log_metrics({"held_out/mlm_loss": loss, "held_out/perplexity": float(np.exp(min(loss, 50))),
                              "pretrain/wall_s": time.perf_counter() - started,
                              "pretrain/tokens_seen": trainer.state.global_step * tokens_per_step},
                             trainer.state.global_step)

        encoder = out / "encoder"
        model.config.architectures = [type(model).__name__]
        trainer.save_model(str(encoder))  # weights as safetensors, with the tokenizer
        mlflow.log_artifacts(str(encoder), "encoder")
        log.info("encoder saved to %s; fine-tune it with model.pretrained=%s or "
                 "model.pretrained=runs:/%s/encoder", encoder, encoder, run.info.run_id)
    return loss
