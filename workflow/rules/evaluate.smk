# Evaluation of a trained run (every Table 7 level subset at once) and Table 3's complexity.


rule evaluate:
    """scores.csv, examples.npz, then metrics.json (written last, atomically: the declared output)."""
    input:
        model=str(RUN.model),
        data=finished_inputs(RUN.metrics, dataset_ready),
        teacher=finished_inputs(RUN.metrics, teacher_input),
    output:
        str(RUN.metrics),
    log:
        str(RUN.log("evaluate")),
    benchmark:
        str(RUN.benchmark("evaluate"))
    threads: 1
    resources:
        gpu=1,
        runtime=runtime_minutes("evaluate"),
    params:
        run=run_key,
        execution=execution_flags(),
        gpu_job=gpu_job(),
    shell:
        "OMP_NUM_THREADS={threads} {params.gpu_job} "
        "python -m rd4ad evaluate --run {params.run:q} {params.execution} --log {log:q}"


rule complexity:
    """Table 3: inference seconds per image and memory of one variant (untrained weights suffice).

    It takes every local core so that no other job disturbs the timing."""
    input:
        data=finished_inputs(layout.complexity_file(RESULTS, "{dataset}", "{variant}"), dataset_ready),
        teacher=finished_inputs(layout.complexity_file(RESULTS, "{dataset}", "{variant}"), teacher_input),
    output:
        str(layout.complexity_file(RESULTS, "{dataset}", "{variant}")),
    log:
        str(layout.complexity_file(RESULTS, "{dataset}", "{variant}").with_suffix(".log")),
    benchmark:
        str(layout.complexity_file(RESULTS, "{dataset}", "{variant}").with_name("{variant}_benchmark.tsv"))
    threads: all_cores()
    resources:
        gpu=1,
    params:
        measurement=measurement_json,
        execution=execution_flags(),
        gpu_job=gpu_job(),
    shell:
        "OMP_NUM_THREADS={threads} {params.gpu_job} "
        "python -m rd4ad complexity --measurement-json {params.measurement:q} {params.execution} --log {log:q}"
