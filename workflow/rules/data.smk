# Data and teacher weights. Each dataset role gets a marker file once it is ready, so
# training depends on one small file instead of a folder Snakemake would delete on failure.


rule synth:
    """The embedded synthetic MVTec-format set (demo); --overwrite: a missing marker means an unfinished set."""
    output:
        touch(f"{RESOURCES}/.prepared/{{dataset}}.synth"),
    log:
        f"{RESOURCES}/logs/synth_{{dataset}}.log",
    benchmark:
        f"{RESOURCES}/logs/synth_{{dataset}}_benchmark.tsv"
    wildcard_constraints:
        dataset=plan.one_of(k for k, d in config["datasets"].items() if d["source"] == "synth"),
    params:
        root=lambda wc: config["datasets"][wc.dataset]["root"],
        flags=lambda wc: plan.option_flags(config["datasets"][wc.dataset]["synth"]),
    shell:
        "python -m rd4ad synth --out {params.root:q} {params.flags} --overwrite > {log:q} 2>&1"


rule fetch:
    """Download and check one real dataset (MVTec AD, MNIST, F-MNIST, CIFAR-10, Caltech-256)."""
    output:
        touch(f"{RESOURCES}/.prepared/{{dataset}}.fetch"),
    log:
        f"{RESOURCES}/logs/fetch_{{dataset}}.log",
    benchmark:
        f"{RESOURCES}/logs/fetch_{{dataset}}_benchmark.tsv"
    wildcard_constraints:
        dataset=plan.one_of(k for k, d in config["datasets"].items() if d["source"] == "fetch"),
    params:
        loader=lambda wc: config["datasets"][wc.dataset]["loader"],
        root=lambda wc: config["datasets"][wc.dataset]["root"],
        mirror=lambda wc: plan.option_flags({"mirror": config["datasets"][wc.dataset]["mirror"]}),
    shell:
        "python -m rd4ad fetch {params.loader} --root {params.root:q} {params.mirror} > {log:q} 2>&1"


rule use_local:
    """Validate an existing local copy of MVTec AD in place (air-gapped clusters): nothing is downloaded."""
    output:
        touch(f"{RESOURCES}/.prepared/{{dataset}}.local"),
    log:
        f"{RESOURCES}/logs/local_{{dataset}}.log",
    benchmark:
        f"{RESOURCES}/logs/local_{{dataset}}_benchmark.tsv"
    wildcard_constraints:
        dataset=plan.one_of(k for k, d in config["datasets"].items() if d["source"] == "local"),
    params:
        loader=lambda wc: config["datasets"][wc.dataset]["loader"],
        root=lambda wc: config["datasets"][wc.dataset]["root"],
    shell:
        "python -m rd4ad fetch {params.loader} --local {params.root:q} > {log:q} 2>&1"


rule fetch_weights:
    """The torchvision IMAGENET1K_V1 teacher of one backbone, into <resources>/torch (TORCH_HOME)."""
    output:
        f"{plan.torch_home(config)}/hub/checkpoints/{{weights_file}}",
    log:
        f"{RESOURCES}/logs/fetch_weights_{{weights_file}}.log",
    benchmark:
        f"{RESOURCES}/logs/fetch_weights_{{weights_file}}_benchmark.tsv"
    wildcard_constraints:
        weights_file=plan.one_of(p.rsplit("/", 1)[1] for p in plan.weights_files(config)),
    params:
        backbone=lambda wc, output: plan.weights_files(config)[output[0]],
        folder=lambda wc, output: os.path.dirname(output[0]),
        mirror=plan.option_flags({"mirror": config["weights_mirror"]}),
    shell:
        "python -m rd4ad fetch weights --backbone {params.backbone} --root {params.folder:q} {params.mirror} "
        "> {log:q} 2>&1"
