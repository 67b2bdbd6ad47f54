# Evaluation of a trained run (every Table 7 level subset at once) and Table 3's complexity.


rule evaluate:
    """scores.csv, examples.npz, then metrics.json (written last, atomically: the declared output)."""
    input:
        model=f"{RUN_FOLDER}/model.pt",
        data=lambda wc: [ancient(f) for f in plan.dataset_ready_file(config, wc.dataset)],
        teacher=lambda wc: [ancient(f) for f in plan.teacher_input(config, wc.variant)],
    output:
        f"{RUN_FOLDER}/metrics.json",
    log:
        f"{RUN_FOLDER}/evaluate.log",
    benchmark:
        f"{RUN_FOLDER}/evaluate_benchmark.tsv"
    params:
        execution=plan.execution_flags(config),
        gpu_job=plan.gpu_job_prefix(config),
    threads: 1
    resources:
        gpu=1,
    shell:
        "OMP_NUM_THREADS={threads} {params.gpu_job} "
        "python -m rd4ad evaluate --model {input.model:q} {params.execution} --out {output:q} > {log:q} 2>&1"


rule complexity:
    """Table 3: inference seconds per image and memory of one variant (untrained weights suffice).

    It takes every local core so that no other job disturbs the timing."""
    input:
        data=lambda wc: [ancient(f) for f in plan.dataset_ready_file(config, wc.dataset)],
        teacher=lambda wc: [ancient(f) for f in plan.teacher_input(config, wc.variant)],
    output:
        f"{RESULTS}/{{dataset}}/complexity/{{variant}}.json",
    log:
        f"{RESULTS}/{{dataset}}/complexity/{{variant}}.log",
    benchmark:
        f"{RESULTS}/{{dataset}}/complexity/{{variant}}_benchmark.tsv"
    params:
        run=lambda wc: plan.complexity_flags(config, wc.dataset, wc.variant),
        gpu_job=plan.gpu_job_prefix(config),
    threads: workflow.cores
    resources:
        gpu=1,
    shell:
        "OMP_NUM_THREADS={threads} {params.gpu_job} "
        "python -m rd4ad complexity {params.run} --out {output:q} > {log:q} 2>&1"
