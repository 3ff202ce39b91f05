#!/usr/bin/env python3
"""Drives `infrac apply`, `plan`, `drift` and `destroy` against the moto AWS emulator.

usage: orchestrate.py INFRAC REPO SCENARIO WORK_DIR

SCENARIO is `adopt` (a bucket made with boto3 is adopted through an `import` entry), `dev` (environments/dev.infra: apply every layer in order, a second plan with no
changes, a tag changed behind Terraform's back reported by `infrac drift`, destroy) or
`protected` (a small project marked `protected = true`: a plan that replaces its bucket is
refused by `infrac apply`, and let through with --allow-destroy). The emulator runs on
127.0.0.1 with a bounded lifetime and is stopped by its PID (deploy.py's `Moto`).

Environment: INFRAC_TERRAFORM, INFRAC_TF_PLUGIN_DIR, INFRAC_MOTO_SERVER.
Exit status: 0 when every check held.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy  # noqa: E402  (the emulator and its quirks)

STEP_TIMEOUT_SECONDS = 1500
# What moto 5.2.5 reads back differently from what it was given, so that a second plan updates
# it in place although nothing changed: by resource type, the attributes and why.
MOTO_READBACK = {
    "aws_route53_zone": "a private zone's VPC association is not returned",
    "aws_db_instance": "Performance Insights settings are not returned",
    "aws_db_parameter_group": "the parameters of a group are not returned",
    "aws_ecs_service": "availability_zone_rebalancing is not returned",
    "aws_vpc_security_group_ingress_rule": "a referenced group comes back as ACCOUNT/sg-..., without its description",
}


class Failed(Exception):
    pass


def infrac(args, cwd, expect):
    """Runs infrac; fails unless its exit status is `expect` (or one of them). Returns (stdout, stderr)."""
    expect = expect if isinstance(expect, tuple) else (expect,)
    started = time.monotonic()
    env = dict(os.environ, TF_CLI_CONFIG_FILE="/dev/null", CHECKPOINT_DISABLE="1")
    result = subprocess.run([INFRAC, *args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=STEP_TIMEOUT_SECONDS)
    deploy.log(f"infrac {' '.join(args[:2])} ... -> {result.returncode} in {time.monotonic() - started:.1f} s")
    if result.returncode not in expect:
        raise Failed(f"infrac {' '.join(args)} exited {result.returncode}, expected {expect}:\n"
                     f"{result.stdout[-6000:]}\n{result.stderr[-4000:]}")
    return result.stdout, result.stderr


def check(condition, message):
    if not condition:
        raise Failed(message)
    deploy.log(f"CHECK {message}")


def layers_of(report):
    return {layer["dir"]: layer for layer in json.loads(report)["layers"]}


def show_plan(out, directory, manifest):
    """The plan file `infrac plan` left in a root module, as JSON."""
    return json.loads(subprocess.run(
        [os.environ["INFRAC_TERRAFORM"], "show", "-json", "infrac.tfplan"], cwd=os.path.join(out, directory),
        env=deploy.terraform_env(manifest["state_region"]), capture_output=True, text=True, check=True,
    ).stdout)


def dev(moto, work):
    out = os.path.join(work, "dev")
    common = ["--out", out, "--endpoint", moto.url, "--jobs", "4"]
    infrac(["build", "environments/dev.infra", "--out", out], REPO, 0)
    manifest = json.load(open(os.path.join(out, "layers.json")))
    # moto's Application Auto Scaling cannot read a scalable target back (deploy.EXCLUSIONS):
    # an override file of the user's own, which the builds carry over, turns it off.
    for layer in manifest["layers"]:
        main_tf = open(os.path.join(out, layer["dir"], "main.tf")).read()
        if "../modules/ecs_service" in main_tf:
            name = main_tf.split("../modules/ecs_service")[0].rsplit('module "', 1)[1].split('"')[0]
            with open(os.path.join(out, layer["dir"], "zz_emulator_override.tf.json"), "w") as handle:
                json.dump({"module": {name: [{"autoscaling": False}]}}, handle)
    # Before anything exists: the bootstrap would create the bucket, the layers wait for it.
    report, _ = infrac(["plan", "environments/dev.infra", *common, "--format", "json"], REPO, 2)
    first = layers_of(report)
    check(first["00-bootstrap"]["add"] > 0 and all(
        l["status"] == "deferred" and "does not exist yet" in l["note"] for d, l in first.items() if d != "00-bootstrap"),
        "first plan: the bootstrap creates the state bucket, every layer is deferred")
    foundation = manifest["layers"][0]
    infrac(["apply", "environments/dev.infra", *common, "--auto-approve", "--layer", "bootstrap",
            "--layer", foundation["name"]], REPO, 0)
    # The layers that read only the foundation plan on its real outputs; the ones that read a
    # layer never applied plan on placeholders of the producers' declared types.
    report, _ = infrac(["plan", "environments/dev.infra", *common, "--format", "json"], REPO, 2)
    for layer in manifest["layers"][1:]:
        planned = layers_of(report)[layer["dir"]]
        never = [p for p in layer["depends_on"] if p != foundation["name"]]
        if never:
            check(planned["status"] == "deferred" and planned["add"] > 0 and all(p in planned["note"] for p in never),
                  f"{layer['dir']} is deferred on {never} and planned with placeholders ({planned['add']} to add)")
        else:
            check(planned["status"] == "planned" and planned["add"] > 0,
                  f"{layer['dir']} plans on the applied foundation ({planned['add']} to add)")
    stdout, _ = infrac(["apply", "environments/dev.infra", *common, "--auto-approve"], REPO, 0)
    blocks = [line.split()[1] for line in stdout.splitlines() if line.startswith("=== ")]
    expected = ["00-bootstrap"] + [layer["dir"] for layer in manifest["layers"]]
    check(blocks == expected, f"apply printed one block per layer in the compiler's order: {blocks}")
    summary = stdout.split("apply env `dev`:")[1]
    for directory in expected[2:]:
        row = next(line for line in summary.splitlines() if line.strip().startswith(directory))
        check(" applied " in row, f"{directory} applied: {row.strip()}")
    for directory in expected[:2]:
        row = next(line for line in summary.splitlines() if line.strip().startswith(directory))
        check(" no changes " in row, f"{directory} was applied before and has no changes: {row.strip()}")

    # The configuration converges: a second plan creates and destroys nothing, and updates in
    # place only what the emulator reads back differently (MOTO_READBACK), nothing else.
    report, _ = infrac(["plan", "environments/dev.infra", *common, "--format", "json"], REPO, (0, 2))
    for directory, layer in layers_of(report).items():
        check(layer["add"] + layer["destroy"] == 0 and layer["status"] == "planned",
              f"second plan: nothing to add or destroy in {directory}")
        updates = [c for c in show_plan(out, directory, manifest)["resource_changes"]
                   if c["mode"] == "managed" and c["change"]["actions"] != ["no-op"]]
        for change in updates:
            check(change["change"]["actions"] == ["update"] and change["type"] in MOTO_READBACK,
                  f"second plan: {change['address']} is updated only because {MOTO_READBACK.get(change['type'], 'NOT A KNOWN EMULATOR QUIRK')}")

    uploads = next(l for l in manifest["layers"] if l["name"] == "applications")
    s3 = deploy.client(moto, "s3", manifest["state_region"])
    bucket = json.loads(subprocess.run(
        [os.environ["INFRAC_TERRAFORM"], "output", "-json"], cwd=os.path.join(out, uploads["dir"]),
        env=deploy.terraform_env(manifest["state_region"]), capture_output=True, text=True, check=True,
    ).stdout)["uploads_bucket"]["value"]
    report, _ = infrac(["drift", "environments/dev.infra", *common, "--format", "json"], REPO, (0, 2))
    before = layers_of(report)[uploads["dir"]]["drift"]
    check(not any(item.startswith("module.uploads.aws_s3_bucket.this:") for item in before),
          f"before the change, the uploads bucket has not drifted: {before}")
    tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [
        {"Key": t["Key"], "Value": "changed-by-hand" if t["Key"] == "owner" else t["Value"]} for t in tags]})
    report, _ = infrac(["drift", "environments/dev.infra", *common, "--format", "json"], REPO, 2)
    drifted = layers_of(report)[uploads["dir"]]["drift"]
    check(any(item.startswith("module.uploads.aws_s3_bucket.this:") and "tags_all" in item for item in drifted),
          f"drift reports the bucket tag changed with boto3: {drifted}")

    # moto leaves the network interfaces of load balancers and databases behind once they are
    # deleted (deploy.delete_leftover_interfaces): the network goes last, after they are removed.
    rest = [arg for l in manifest["layers"][1:] for arg in ("--layer", l["name"])]
    report, _ = infrac(["destroy", "environments/dev.infra", *common, "--auto-approve", *rest,
                        "--format", "json"], REPO, 0)
    order = [layer["dir"] for layer in json.loads(report)["layers"]]
    check(all(l["status"] == "destroyed" for l in layers_of(report).values()),
          f"destroy: every layer but {foundation['dir']} destroyed")
    deploy.delete_leftover_interfaces(deploy.client(moto, "ec2", manifest["state_region"]))
    infrac(["destroy", "environments/dev.infra", *common, "--auto-approve", "--layer", foundation["name"]], REPO, 0)
    report, _ = infrac(["plan", "environments/dev.infra", *common, "--format", "json"], REPO, 2)
    for directory, layer in layers_of(report).items():
        if directory != "00-bootstrap":
            check(layer["destroy"] == 0 and layer["change"] == 0 and layer["add"] > 0,
                  f"after destroy, {directory} has nothing left to change or destroy ({layer['add']} to add)")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    check(buckets == [manifest["state_bucket"]], f"only the state bucket is left: {buckets}")
    del order


PROTECTED_PROJECT = """
project vault {
  region    = "eu-west-1"
  providers = { aws = "~> 5.100" }
  state     = { bucket = "vault-tfstate-${env}" }
  protected = true
}

param suffix: string = "a"

layer storage {
  kms_key main { description = "vault ${env}" }
  s3_bucket archive {
    bucket      = "vault-${env}-archive-${suffix}"
    kms_key_arn = main.arn
  }
}

env pro {}
"""


def protected(moto, work):
    project = os.path.join(work, "project")
    os.makedirs(project, exist_ok=True)
    source = os.path.join(project, "vault.infra")
    with open(source, "w") as handle:
        handle.write(PROTECTED_PROJECT)
    out = os.path.join(work, "pro")
    common = ["--out", out, "--endpoint", moto.url]
    infrac(["apply", source, *common, "--auto-approve"], work, 0)
    with open(source, "w") as handle:
        handle.write(PROTECTED_PROJECT.replace('= "a"', '= "b"'))
    report, _ = infrac(["plan", source, *common, "--format", "json"], work, 2)
    touched = layers_of(report)["01-storage"]["protected"]
    check(any("aws_s3_bucket.this (replace)" in item for item in touched),
          f"the plan replaces the protected bucket: {touched}")
    stdout, _ = infrac(["apply", source, *common, "--auto-approve"], work, 1)
    check("refused" in stdout and "--allow-destroy" in stdout, "apply refuses the replace in a protected environment")
    s3 = deploy.client(moto, "s3", "eu-west-1")
    buckets = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
    check("vault-pro-archive-a" in buckets and "vault-pro-archive-b" not in buckets,
          f"the refused apply changed nothing: {buckets}")
    infrac(["apply", source, *common, "--auto-approve", "--allow-destroy"], work, 0)
    buckets = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
    check("vault-pro-archive-b" in buckets and "vault-pro-archive-a" not in buckets,
          f"--allow-destroy lets the replace through: {buckets}")


IMPORT_PROJECT = """
project vault {
  region = "eu-west-1"
  state  = { bucket = "vault-tfstate-${env}" }
}

layer storage {
  kms_key main { description = "vault ${env}" }
  s3_bucket legacy {
    kms_key_arn   = main.arn
    force_destroy = true
    import        = { "aws_s3_bucket.this" = "vault-${env}-legacy" }
  }
}

env pro {}
"""


def adopt(moto, work):
    """A bucket made by hand before infrac is adopted through `import`, not created again."""
    s3 = deploy.client(moto, "s3", "eu-west-1")
    s3.create_bucket(Bucket="vault-pro-legacy", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="vault-pro-legacy", Key="kept.txt", Body=b"made before infrac")
    project = os.path.join(work, "project")
    os.makedirs(project, exist_ok=True)
    source = os.path.join(project, "vault.infra")
    with open(source, "w") as handle:
        handle.write(IMPORT_PROJECT)
    out = os.path.join(work, "pro")
    common = ["--out", out, "--endpoint", moto.url]
    report, _ = infrac(["plan", source, *common, "--format", "json"], work, 2)
    infrac(["apply", source, *common, "--auto-approve", "--layer", "bootstrap"], work, 0)
    report, _ = infrac(["plan", source, *common, "--format", "json"], work, 2)
    storage = layers_of(report)["01-storage"]
    check(storage["import"] == 1, f"the plan imports the bucket: {storage}")
    plan = show_plan(out, "01-storage", {"state_region": "eu-west-1"})
    bucket = next(c for c in plan["resource_changes"] if c["address"] == "module.legacy.aws_s3_bucket.this")
    check("create" not in bucket["change"]["actions"] and bucket["change"].get("importing", {}).get("id") == "vault-pro-legacy",
          f"the bucket is imported, not created: {bucket['change']['actions']}")
    infrac(["apply", source, *common, "--auto-approve"], work, 0)
    # The module's bucket policy denies requests without TLS, and the emulator speaks plain HTTP:
    # lift it for one read (as the account owner can), then put it back as Terraform wrote it.
    policy = s3.get_bucket_policy(Bucket="vault-pro-legacy")["Policy"]
    s3.delete_bucket_policy(Bucket="vault-pro-legacy")
    body = s3.get_object(Bucket="vault-pro-legacy", Key="kept.txt")["Body"].read()
    s3.put_bucket_policy(Bucket="vault-pro-legacy", Policy=policy)
    check(body == b"made before infrac", "the adopted bucket kept its object: it was not re-created")
    state = subprocess.run([os.environ["INFRAC_TERRAFORM"], "state", "list"], cwd=os.path.join(out, "01-storage"),
                           env=deploy.terraform_env("eu-west-1"), capture_output=True, text=True, check=True).stdout
    check("module.legacy.aws_s3_bucket.this" in state.split(), "the bucket is in the layer's state")
    # Life cycle: the entry may stay; once adopted, the next plan imports nothing again.
    report, _ = infrac(["plan", source, *common, "--format", "json"], work, (0, 2))
    storage = layers_of(report)["01-storage"]
    check(storage["import"] == 0 and storage["add"] == 0 and storage["destroy"] == 0,
          f"after the import, the entry is a no-op: {storage}")


def main():
    global INFRAC, REPO
    INFRAC, REPO, scenario, work = sys.argv[1:5]
    started = time.monotonic()
    moto = deploy.Moto(os.environ["INFRAC_MOTO_SERVER"])
    try:
        {"dev": dev, "protected": protected, "adopt": adopt}[scenario](moto, work)
    except (Failed, subprocess.SubprocessError, KeyError, StopIteration, OSError) as error:
        deploy.log(f"FAILED {error}")
        return 1
    finally:
        moto.stop()
    deploy.log(f"scenario {scenario}: ok in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
