# The resolved config lives at <results>/config.resolved.yaml, so the report's --results is
# its folder. The report reads the resolved run config (the config files merged with any --config
# overrides, defaults filled): what the DAG actually ran, whatever the command line was.


rule resolved_config:
    """The validated run config as one YAML file; re-written whenever the config changes."""
    output:
        f"{RESULTS}/config.resolved.yaml",
    log:
        f"{RESULTS}/logs/resolved_config.log",
    benchmark:
        f"{RESULTS}/logs/resolved_config_benchmark.tsv"
    params:
        config=json.dumps(config, sort_keys=True),
    shell:
        "python -m rd4ad plan --config-json {params.config:q} --write-config {output:q} > {log:q} 2>&1"


rule report:
    """Every table, the audit and the figures as one HTML page."""
    input:
        config=rules.resolved_config.output[0],
        runs=plan.report_inputs(config, TABLES),
    output:
        config["report"],
    log:
        f"{RESULTS}/logs/report.log",
    benchmark:
        f"{RESULTS}/logs/report_benchmark.tsv"
    params:
        results=lambda wc, input: os.path.dirname(input.config),
    shell:
        "python -m rd4ad report --config {input.config:q} --results {params.results:q} --out {output:q} "
        "> {log:q} 2>&1"
