# The plan, written once, and the report, which reads it with the run folders.


rule plan:
    """<results>/plan.json: the resolved config, the tables, every run and its files (rd4ad/planning/plan.py).

    Planned in-process (workflow/rules/common.smk), so the config as Snakemake merged it (files and
    --config overrides, defaults filled) reaches the file without passing through a shell line.
    Rewritten whenever the plan changes (params.digest)."""
    output:
        PLAN_FILE,
    log:
        str(layout.logs(RESULTS) / "plan.log"),
    benchmark:
        str(layout.logs(RESULTS) / "plan_benchmark.tsv")
    localrule: True
    params:
        digest=PLAN.digest,
    run:
        PLAN.write()


rule report:
    """Every table, the audit and the figures as one HTML page, its exports beside it; the Markdown
    summary goes to the console (stdout), errors to the log. A local rule: it needs no GPU and reads
    only the run files, so on a cluster it runs where snakemake runs (as the onerror report does)
    instead of waiting for a scheduler slot."""
    input:
        plan=PLAN_FILE,
        results=RESULT_FILES,
    output:
        PLAN.config["report"],
    log:
        str(layout.logs(RESULTS) / "report.log"),
    benchmark:
        str(layout.logs(RESULTS) / "report_benchmark.tsv")
    localrule: True
    shell:
        "python -m rd4ad report --plan {input.plan:q} --out {output:q} 2> {log:q}"


onerror:
    # A job failed (the profiles keep going past it, so everything else has run): build the report
    # of everything that finished; it lists each failed run with its log and error line
    # (rd4ad/report/failures.py). Snakemake still exits non-zero; the same command retries what failed.
    shell(
        f"python -m rd4ad report --plan {shlex.quote(PLAN_FILE)} --out {shlex.quote(PLAN.config['report'])} "
        f"|| echo 'rd4ad: no report (see the error above)' >&2"
    )
