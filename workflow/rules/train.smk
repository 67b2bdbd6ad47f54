# Training: one job per run (dataset, category, variant, seed), which gets its run whole from
# the plan (params.run). The job resumes from resume.pt (every `checkpoint_minutes`), which is
# not a declared output, so Snakemake never deletes it; model.pt, the only declared output, is
# written atomically at the end — a job killed mid-epoch leaves no output behind and the next
# `snakemake` run simply continues it. resume.pt then stays as a second name of model.pt until
# the run's evaluation starts, so a workflow killed before it recorded the job complete gets
# model.pt back on --rerun-incomplete without training. A finished run needs no data or
# teacher file (finished_inputs): losing or re-making resources/ never retrains it; a change of
# the run itself does (params.run).


rule train:
    """Train one run on a free GPU slot (CPU when there is none)."""
    input:
        data=finished_inputs(RUN.model, dataset_ready),
        teacher=finished_inputs(RUN.model, teacher_input),
    output:
        str(RUN.model),
    log:
        str(RUN.log("train")),
    benchmark:
        str(RUN.benchmark("train"))
    threads: 1
    resources:
        gpu=1,
        runtime=runtime_minutes("train"),
    params:
        run=run_json,
        execution=execution_flags(),
        checkpoint=cli_flags({"checkpoint_minutes": PLAN.config["checkpoint_minutes"]}),
        gpu_job=gpu_job(),
    shell:
        "OMP_NUM_THREADS={threads} {params.gpu_job} "
        "python -m rd4ad train --run-json {params.run:q} {params.execution} {params.checkpoint} --log {log:q}"
