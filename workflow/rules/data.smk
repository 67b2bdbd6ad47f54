# Data and teacher weights. Each dataset role gets a marker file once it is ready, so
# training depends on one small file instead of a folder Snakemake would delete on failure.


rule synth:
    """The embedded synthetic MVTec-format set (demo); --overwrite: a missing marker means an unfinished set."""
    output:
        touch(str(RESOURCES.marker("{dataset}", "synth"))),
    log:
        str(layout.logs(RESOURCES.path) / "synth_{dataset}.log"),
    benchmark:
        str(layout.logs(RESOURCES.path) / "synth_{dataset}_benchmark.tsv")
    wildcard_constraints:
        dataset=one_of(k for k, d in PLAN.datasets.items() if d["source"] == "synth"),
    params:
        root=lambda wc: PLAN.datasets[wc.dataset]["root"],
        flags=lambda wc: cli_flags(PLAN.datasets[wc.dataset]["synth"]),
    shell:
        "python -m rd4ad synth --out {params.root:q} {params.flags} --overwrite --log {log:q}"


rule replica:
    """A small replica of VisA, MVTec LOCO AD, MVTec AD 2 or one's own images (demo: the real format, synthetic content)."""
    output:
        touch(str(RESOURCES.marker("{dataset}", "replica"))),
    log:
        str(layout.logs(RESOURCES.path) / "replica_{dataset}.log"),
    benchmark:
        str(layout.logs(RESOURCES.path) / "replica_{dataset}_benchmark.tsv")
    wildcard_constraints:
        dataset=one_of(k for k, d in PLAN.datasets.items() if d["source"] == "replica"),
    params:
        loader=lambda wc: PLAN.datasets[wc.dataset]["loader"],
        root=lambda wc: PLAN.datasets[wc.dataset]["root"],
        categories=lambda wc: shlex.join(PLAN.datasets[wc.dataset]["categories"]),
        flags=lambda wc: cli_flags(PLAN.datasets[wc.dataset].get("replica", {})),
    shell:
        "python -m rd4ad replica {params.loader} --out {params.root:q} --categories {params.categories} "
        "{params.flags} --overwrite --log {log:q}"


rule fetch:
    """Download and check one real dataset (MVTec AD, MNIST, F-MNIST, CIFAR-10, Caltech-256)."""
    output:
        touch(str(RESOURCES.marker("{dataset}", "fetch"))),
    log:
        str(layout.logs(RESOURCES.path) / "fetch_{dataset}.log"),
    benchmark:
        str(layout.logs(RESOURCES.path) / "fetch_{dataset}_benchmark.tsv")
    wildcard_constraints:
        dataset=one_of(k for k, d in PLAN.datasets.items() if d["source"] == "fetch"),
    params:
        loader=lambda wc: PLAN.datasets[wc.dataset]["loader"],
        root=lambda wc: PLAN.datasets[wc.dataset]["root"],
        mirror=lambda wc: cli_flags({"mirror": PLAN.datasets[wc.dataset]["mirror"]}),
    shell:
        "python -m rd4ad fetch {params.loader} --root {params.root:q} {params.mirror} --log {log:q}"


rule use_local:
    """Validate an existing local copy of MVTec AD or VisA in place (air-gapped clusters): nothing is downloaded."""
    output:
        touch(str(RESOURCES.marker("{dataset}", "local"))),
    log:
        str(layout.logs(RESOURCES.path) / "local_{dataset}.log"),
    benchmark:
        str(layout.logs(RESOURCES.path) / "local_{dataset}_benchmark.tsv")
    wildcard_constraints:
        dataset=one_of(k for k, d in PLAN.datasets.items() if d["source"] == "local"),
    params:
        loader=lambda wc: PLAN.datasets[wc.dataset]["loader"],
        root=lambda wc: PLAN.datasets[wc.dataset]["root"],
    shell:
        "python -m rd4ad fetch {params.loader} --local {params.root:q} --log {log:q}"


rule fetch_weights:
    """The torchvision IMAGENET1K_V1 teacher of one backbone, into <resources>/torch (TORCH_HOME)."""
    output:
        str(RESOURCES.weights / "{weights_file}"),
    log:
        str(layout.logs(RESOURCES.path) / "fetch_weights_{weights_file}.log"),
    benchmark:
        str(layout.logs(RESOURCES.path) / "fetch_weights_{weights_file}_benchmark.tsv")
    wildcard_constraints:
        weights_file=one_of(Path(p).name for p in weights_files()),
    params:
        backbone=lambda wc, output: weights_files()[output[0]],
        folder=lambda wc, output: str(Path(output[0]).parent),
        mirror=cli_flags({"mirror": PLAN.config["weights_mirror"]}),
    shell:
        "python -m rd4ad fetch weights --backbone {params.backbone} --root {params.folder:q} {params.mirror} "
        "--log {log:q}"
