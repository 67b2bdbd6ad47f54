# Training: one job per (dataset, category, variant, seed). The job resumes from resume.pt,
# which is not a declared output, so Snakemake never deletes it; model.pt, the only declared
# output, is written atomically at the end — a job killed mid-epoch leaves no output behind
# and the next `snakemake` run simply continues it (no --rerun-incomplete needed).
# Data markers and teacher files are ancient(): re-fetching or re-synthesising (checksummed,
# seeded) never makes a finished run train again.


rule train:
    """Train one run on a free GPU slot (CPU when there is none)."""
    input:
        data=lambda wc: [ancient(f) for f in plan.dataset_ready_file(config, wc.dataset)],
        teacher=lambda wc: [ancient(f) for f in plan.teacher_input(config, wc.variant)],
    output:
        f"{RUN_FOLDER}/model.pt",
    log:
        f"{RUN_FOLDER}/train.log",
    benchmark:
        f"{RUN_FOLDER}/train_benchmark.tsv"
    params:
        run=lambda wc: plan.train_flags(config, wc.dataset, wc.category, wc.variant, int(wc.seed)),
        gpu_job=plan.gpu_job_prefix(config),
    threads: 1
    resources:
        gpu=1,
    shell:
        "OMP_NUM_THREADS={threads} {params.gpu_job} "
        "python -m rd4ad train {params.run} --out {output:q} > {log:q} 2>&1"
