"""RD4AD reproducibility suite: every table of the paper and the protocol audit as one DAG.

    snakemake --cores 8 all                                  # config/config.yaml: the paper
    snakemake --cores 2 --configfile config/demo.yaml all    # the embedded demo

The default config file comes from the workflow profile profiles/default (a `configfile:`
directive here would be deep-merged with --configfile). The config is validated and planned
once (rd4ad/planning/planner.py) in workflow/rules/common.smk; the `plan` rule writes that plan to
<results>/plan.json, which every job and the report read. See workflow/README.md.
"""

from snakemake.utils import min_version

min_version("9.0")

if not config:
    raise ValueError(
        "no run config: pass --configfile config/config.yaml (paper) or config/demo.yaml "
        "(the workflow profile profiles/default sets config/config.yaml)"
    )


include: "workflow/rules/common.smk"


# The HTML report of every table, and every result it reads: a result file deleted after the report was
# built (or missing from results copied elsewhere) is made again, then the report.
rule all:
    default_target: True
    input:
        PLAN.config["report"],
        RESULT_FILES,


include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"
