# Training: one job per run (dataset, category, variant, seed), which gets its run whole from
# the plan (params.run). The job resumes from resume.pt, which is not a declared output, so
# Snakemake never deletes it; model.pt, the only declared output, is written atomically at the
# end — a job killed mid-epoch leaves no output behind and the next `snakemake` run simply
# continues it (no --rerun-incomplete needed). Data markers and teacher files are ancient():
# re-fetching or re-synthesising (checksummed, seeded) never makes a finished run train again;
# a change of the run itself does (params.run).


rule train:
    """Train one run on a free GPU slot (CPU when there is none)."""
    input:
        data=dataset_ready,
        teacher=teacher_input,
    output:
        str(RUN.model),
    log:
        str(RUN.log("train")),
    benchmark:
        str(RUN.benchmark("train"))
    params:
        run=run_json,
        execution=execution_flags(),
        gpu_job=gpu_job(),
    threads: 1
    resources:
        gpu=1,
    shell:
        "OMP_NUM_THREADS={threads} {params.gpu_job} "
        "python -m rd4ad train --run-json {params.run:q} {params.execution} > {log:q} 2>&1"
