"""RD4AD reproducibility suite: every table of the paper and the protocol audit as one DAG.

    snakemake --cores 8 all                                  # config/config.yaml: the paper
    snakemake --cores 2 --configfile config/demo.yaml all    # the embedded demo

The default config file comes from the workflow profile profiles/default (a `configfile:`
directive here would be deep-merged with --configfile). Planning lives in
rd4ad/workflow_plan.py; the rules in workflow/rules/ only wire it. See workflow/README.md.
"""

import json
import os

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from rd4ad import workflow_plan as plan
from rd4ad.config_errors import schema_error_message

min_version("9.0")

if not config:
    raise ValueError("no run config: pass --configfile config/config.yaml (paper) or config/demo.yaml "
                     "(the workflow profile profiles/default sets config/config.yaml)")
try:
    validate(config, "workflow/schemas/config.schema.yaml")
except WorkflowError as err:
    raise WorkflowError(schema_error_message(err, workflow.configfiles)) from None

TABLES = plan.load_yaml(config["tables"])
RESULTS = config["results"]
RESOURCES = config["resources"]
RUNS = plan.planned_runs(config, TABLES)
RUN_FOLDER = f"{RESULTS}/{{dataset}}/{{category}}/{{variant}}/seed{{seed}}"


wildcard_constraints:
    dataset=plan.one_of(config["datasets"]),
    category=plan.one_of(r.category for r in RUNS),
    variant=plan.one_of(config["variants"]),
    seed=r"\d+",


rule all:
    """The HTML report of every table (and everything it needs)."""
    input:
        config["report"],
    default_target: True


include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"
