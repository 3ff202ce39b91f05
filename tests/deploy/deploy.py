#!/usr/bin/env python3
"""Deploys a built environment layer by layer against the moto AWS emulator, checks the wiring,
and destroys it in reverse order.

usage: deploy.py BUILD_DIR ORDER_JSON [BUILD_DIR ORDER_JSON]... [--keep]

BUILD_DIR is the output of `infrac build` (it is copied; the copy gets Terraform override files
beside the generated ones, and the generated files are never changed). ORDER_JSON is the output
of `infrac graph ENV --format json`: the layers in the compiler's order. Several environments
are deployed in the order given, into one emulator. Shared layers (`shared/` of every build) are
applied first and once, from the first build; every other build's `shared/` must be
byte-identical to it. The emulator runs on 127.0.0.1 with a bounded lifetime and is stopped by
its PID.

Environment: INFRAC_TERRAFORM, INFRAC_TF_PLUGIN_DIR, INFRAC_MOTO_SERVER (from scripts/install-tools).
Exit status: 0 when every layer applied, every check held and every layer was destroyed.
"""

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import boto3  # Installed with moto[server].
import botocore.exceptions

# The AWS provider's endpoint names sent to the emulator: the same list as `infrac --endpoint`
# (crates/emit/src/emit/endpoint.rs), since an instance may be any resource type of the provider.
SERVICES = [
    "acm", "apigateway", "appautoscaling", "autoscaling", "cloudformation", "cloudfront",
    "cloudwatch", "dynamodb", "ec2", "ecr", "ecs", "efs", "eks", "elasticache", "elb", "elbv2",
    "events", "iam", "kinesis", "kms", "lambda", "logs", "rds", "route53", "s3", "secretsmanager",
    "ses", "sns", "sqs", "ssm", "sts", "wafv2",
]
# What the emulator does not implement, by module, and the input that leaves it out. The harness
# sets these inputs through an override file beside the generated `main.tf`; nothing else changes.
EXCLUSIONS = {
    "ecs_service": ("autoscaling", False, "Application Auto Scaling: moto 5.2.5 answers ListTagsForResource "
                    "on scalable targets with HTTP 500, so the provider cannot read the target back"),
}
MOTO_TTL_SECONDS = 3600
STEP_TIMEOUT_SECONDS = 1800


def log(message):
    print(message, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Moto:
    """The emulator: started under `timeout`, so it ends even if this process is killed."""

    def __init__(self, server):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = tempfile.mkdtemp(prefix="moto-")
        env = dict(
            os.environ,
            MOTO_IAM_LOAD_MANAGED_POLICIES="true",
            MOTO_ENABLE_RECORDING="true",
            MOTO_RECORDER_FILEPATH=os.path.join(self.workdir, "recording"),
        )
        self.log_file = open(os.path.join(self.workdir, "moto.log"), "w")
        self.process = subprocess.Popen(
            ["timeout", str(MOTO_TTL_SECONDS), server, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=self.workdir,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"moto did not start; see {self.log_file.name}")
                # Readiness poll on a condition with a deadline, not a fixed wait.
                time.sleep(0.1)
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/recorder/start-recording", method="POST")).read()
        log(f"moto: {self.url} (pid {self.process.pid}, ttl {MOTO_TTL_SECONDS} s)")

    def recording(self):
        with urllib.request.urlopen(f"{self.url}/moto-api/recorder/download-recording") as response:
            return [json.loads(line) for line in response.read().decode().splitlines() if line.strip()]

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        log(f"moto: stopped (pid {self.process.pid})")


def client(moto, service, region, role_arn=None):
    """A client of the emulator; with a role, as that role (moto puts what the role creates in the
    role's account, as AWS does), so that checks look where Terraform wrote."""
    if not role_arn:
        return boto3.client(service, endpoint_url=moto.url, region_name=region, aws_access_key_id="test", aws_secret_access_key="test")
    sts = client(moto, "sts", region)
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="infrac-deploy-test")["Credentials"]
    return boto3.client(service, endpoint_url=moto.url, region_name=region,
                        aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"])


def assumed_roles(moto):
    """The role ARNs that STS AssumeRole calls asked the emulator for."""
    roles = set()
    for request in moto.recording():
        body = request.get("body") or ""
        if request.get("body_encoded"):
            body = base64.b64decode(body).decode("utf-8", "replace")
        fields = urllib.parse.parse_qs(body)
        # The harness's own checks assume roles too, under their own session name.
        if fields.get("Action") == ["AssumeRole"] and fields.get("RoleSessionName") != ["infrac-deploy-test"]:
            roles.update(fields.get("RoleArn", []))
    return roles


def provider_aliases(layer_dir):
    """The aliases of the generated `provider "aws"` blocks, and whether they pin accounts."""
    aliases, pinned = [], False
    path = os.path.join(layer_dir, "providers.tf")
    for line in open(path) if os.path.exists(path) else []:
        key, _, value = line.partition("=")
        if key.strip() == "alias":
            aliases.append(value.strip().strip('"'))
        if key.strip() == "allowed_account_ids":
            pinned = True
    return aliases, pinned


def terraform_env(region):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": region,
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": "/dev/null",
    })
    return env


def terraform(args, cwd, region, check=True):
    result = subprocess.run(
        [os.environ["INFRAC_TERRAFORM"], *args], cwd=cwd, env=terraform_env(region),
        capture_output=True, text=True, timeout=STEP_TIMEOUT_SECONDS,
    )
    if check and result.returncode != 0:
        raise StepFailed(f"terraform {' '.join(args[:1])} in {os.path.basename(cwd)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
    return result


class StepFailed(Exception):
    pass


# A create that the AWS SDK sent twice: the emulator did the first attempt, its answer was lost
# (seen with moto under load: one invocation id with `attempt=1` and `attempt=2`, both answered),
# and the second fails with "already exists". The resource is real but not in the state; it is
# imported by the id the error names, and the layer applied again. Nothing else is forgiven.
LOST_CREATE = re.compile(
    r"Error: creating [^\n(]*\(([^)\n]+)\):[^\n]*(?:AlreadyExists|already exists)[^\n]*\n\s*with ([^\s,]+),"
)
# WAFv2 answers the retried create with `WafV2DuplicateItem` and names only the ACL; its import id
# is `ID/NAME/SCOPE`, so the id is looked up by name in the layer's account and region.
LOST_WEB_ACL = re.compile(
    r"Error: creating WAFv2 WebACL \(([^)\n]+)\):[^\n]*WafV2DuplicateItem[^\n]*\n\s*with ([^\s,]+),"
)


def web_acl_import_id(wafv2, name):
    """The import id of the regional web ACL called `name`, or None."""
    for acl in wafv2.list_web_acls(Scope="REGIONAL").get("WebACLs", []):
        if acl["Name"] == name:
            return f"{acl['Id']}/{acl['Name']}/REGIONAL"
    return None


def apply(layer_dir, region, extra=(), wafv2=None):
    """`terraform apply`; a create the emulator answered but the SDK retried is imported and
    the apply run again. `wafv2` makes a client in the layer's account and region, to find the
    id of a lost web ACL. Returns the (address, id) pairs so recovered."""
    args = ["apply", "-auto-approve", "-input=false", "-no-color", *extra]
    result = terraform(args, layer_dir, region, check=False)
    if result.returncode == 0:
        return []
    text = result.stdout + result.stderr
    lost = [(address, ident) for ident, address in LOST_CREATE.findall(text)]
    for name, address in LOST_WEB_ACL.findall(text):
        ident = web_acl_import_id(wafv2(), name) if wafv2 else None
        if ident is None:
            raise StepFailed(f"terraform apply in {os.path.basename(layer_dir)} failed: web ACL {name} reported as a duplicate "
                             f"but not found in the emulator:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
        lost.append((address, ident))
    if not lost:
        raise StepFailed(f"terraform apply in {os.path.basename(layer_dir)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
    for address, ident in lost:
        log(f"RECOVERED {os.path.basename(layer_dir)}: {address} ({ident}) was created by a retried request; importing it")
        terraform(["import", "-input=false", "-no-color", address, ident], layer_dir, region)
    terraform(args, layer_dir, region)
    return lost


def emulator_settings(moto):
    return {
        "access_key": "test", "secret_key": "test", "skip_credentials_validation": True,
        "skip_requesting_account_id": True, "skip_metadata_api_check": True, "skip_region_validation": True,
    }


def write_overrides(layer_dir, moto, states, layer_name, reads):
    """Points the provider, the backend and remote-state reads at the emulator, beside the generated files."""
    provider = dict(emulator_settings(moto))
    provider["s3_use_path_style"] = True
    provider["endpoints"] = [{service: moto.url for service in SERVICES}]
    aliases, pinned = provider_aliases(layer_dir)
    if pinned:
        # `allowed_account_ids` needs the account: the provider asks the emulator's STS, which
        # answers with the account of the assumed role.
        provider["skip_requesting_account_id"] = False
    # Every configuration is pointed at the emulator; the generated `assume_role` blocks stay.
    override = {"provider": {"aws": [provider] + [dict(provider, alias=alias) for alias in aliases]}}
    if reads:
        configs = {}
        for producer in reads:
            # The producer's state: its key, and its part's bucket (the environment's, or the
            # shared layers').
            layer, part = states[producer]
            config = dict(emulator_settings(moto))
            config.update({
                "bucket": part["state_bucket"], "key": layer["state_key"], "region": part["state_region"],
                "use_path_style": True, "endpoints": {"s3": moto.url, "sts": moto.url},
            })
            # The override replaces the generated `config` as a whole: keep the state's role.
            if part.get("state_assume_role"):
                config["assume_role"] = part["state_assume_role"]
            configs[producer.replace("-", "_")] = [{"config": config}]
        override["data"] = {"terraform_remote_state": configs}
    excluded = []
    main_tf = os.path.join(layer_dir, "main.tf")
    if os.path.exists(main_tf):
        modules = {}
        current = None
        for line in open(main_tf):
            if line.startswith('module "'):
                current = line.split('"')[1]
            elif current and line.strip().startswith("source") and "../modules/" in line:
                kind = line.split("../modules/")[1].split('"')[0]
                if kind in EXCLUSIONS:
                    name, value, reason = EXCLUSIONS[kind]
                    modules[current] = [{name: value}]
                    excluded.append(f"module.{current} ({kind}): {name} = {json.dumps(value)}; {reason}")
                current = None
        if modules:
            override["module"] = modules
    with open(os.path.join(layer_dir, "zz_infrac_test_override.tf.json"), "w") as handle:
        json.dump(override, handle, indent=2)
    backend = [
        'access_key = "test"', 'secret_key = "test"', "use_path_style = true",
        "skip_credentials_validation = true", "skip_requesting_account_id = true", "skip_metadata_api_check = true",
        f'endpoints = {{ s3 = "{moto.url}", sts = "{moto.url}" }}',
    ]
    with open(os.path.join(layer_dir, "zz_infrac_test.backend.hcl"), "w") as handle:
        handle.write("\n".join(backend) + "\n")
    return excluded


def unprotect(layer_dir):
    """Writes an override that sets `deletion_protection = false` on every module call that has it
    true in the generated main.tf; returns the module addresses."""
    main_tf = os.path.join(layer_dir, "main.tf")
    if not os.path.exists(main_tf):
        return []
    modules, current = [], None
    for line in open(main_tf):
        if line.startswith('module "'):
            current = line.split('"')[1]
        elif current and line.split("=")[0].strip() == "deletion_protection" and line.split("=")[1].strip() == "true":
            modules.append(current)
    if modules:
        override = {"module": {name: [{"deletion_protection": False}] for name in modules}}
        with open(os.path.join(layer_dir, "zz_infrac_test_unprotect_override.tf.json"), "w") as handle:
            json.dump(override, handle, indent=2)
    return [f"module.{name}" for name in modules]


def state_resources(layer_dir, region):
    shown = json.loads(terraform(["show", "-json"], layer_dir, region).stdout or "{}")
    resources = []

    def walk(module):
        resources.extend(module.get("resources", []))
        for child in module.get("child_modules", []):
            walk(child)

    walk(shown.get("values", {}).get("root_module", {}))
    return resources


def delete_leftover_interfaces(ec2):
    """moto 5.2.5 leaves the network interfaces it created for load balancers and databases behind,
    unattached, after those are deleted; a subnet that holds one cannot be deleted, so a destroy of
    the network would wait on it forever. Deletes unattached interfaces that no VPC endpoint owns,
    in the emulator only."""
    # Interface VPC endpoints own their interfaces; the endpoint still needs them until it goes.
    owned = set()
    for endpoint in ec2.describe_vpc_endpoints()["VpcEndpoints"]:
        owned.update(endpoint.get("NetworkInterfaceIds", []))
    removed = []
    for interface in ec2.describe_network_interfaces(Filters=[{"Name": "status", "Values": ["available"]}])["NetworkInterfaces"]:
        if interface["NetworkInterfaceId"] in owned or interface.get("InterfaceType", "interface") != "interface":
            continue
        ec2.delete_network_interface(NetworkInterfaceId=interface["NetworkInterfaceId"])
        removed.append(interface["NetworkInterfaceId"])
    return removed


def empty_bucket(s3, bucket):
    """moto 5.2.5 fails DeleteObjects batches with delete markers; delete one version at a time."""
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])


def tree_bytes(directory):
    """Every file under a directory, by relative path, with its bytes."""
    files = {}
    for base, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(base, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, directory)] = handle.read()
    return files


def shown(part, directory):
    """A directory as the report names it: `dev/01-storage`, `shared/01-registry`."""
    return directory if directory.startswith("shared/") else f"{part['label']}/{directory}"


def parts_of(builds):
    """The parts to deploy, in order: the shared layers once (from the first build that has
    them), then each environment. A part is a label (`shared` or the environment), the state it
    writes to (bucket, region, role), its bootstrap directory (or None when another part creates
    its bucket) and its layers in the compiler's order."""
    parts, shared_root = [], None
    for root, manifest, order in builds:
        shared = manifest.get("shared")
        if shared and shared_root is None:
            shared_root = root
            layers = [dict(l, part="shared") for l in order["layers"] if l.get("shared")]
            parts.append({"label": "shared", "root": root, "state": shared, "bootstrap": shared.get("bootstrap"),
                          "layers": layers, "manifest_layers": shared["layers"]})
        elif shared:
            # Built identically in every environment: applied once, so it must be the same bytes.
            if tree_bytes(os.path.join(root, "shared")) != tree_bytes(os.path.join(shared_root, "shared")):
                raise StepFailed(f"shared/ of {manifest['env']} differs from the first build's")
        bootstrap = manifest.get("bootstrap")
        own_bootstrap = bootstrap if bootstrap and not bootstrap.startswith("shared/") else None
        layers = [l for l in order["layers"] if not l.get("shared")]
        parts.append({"label": manifest["env"], "root": root, "state": manifest, "bootstrap": own_bootstrap,
                      "layers": layers, "manifest_layers": manifest["layers"]})
    return parts


def main():
    args = [a for a in sys.argv[1:] if a != "--keep"]
    keep = "--keep" in sys.argv
    if not args or len(args) % 2:
        raise SystemExit(__doc__)
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="infrac-deploy-")
    builds = []
    for index in range(0, len(args), 2):
        root = os.path.join(work, f"out-{index // 2}")
        shutil.copytree(args[index], root, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
        with open(os.path.join(root, "layers.json")) as handle:
            manifest = json.load(handle)
        with open(args[index + 1]) as handle:
            order = json.load(handle)
        builds.append((root, manifest, order))
    envs = [manifest["env"] for _, manifest, _ in builds]
    plugin_arg = f"-plugin-dir={os.environ['INFRAC_TF_PLUGIN_DIR']}"
    moto = Moto(os.environ["INFRAC_MOTO_SERVER"])
    applied = []
    failures = []
    report = {"layers": [], "checks": []}
    parts = []
    try:
        parts = parts_of(builds)
        # What the layers of each part see, by layer name: the shared layers, and the part's own
        # (two environments have layers of the same name): each layer's layers.json entry and
        # the state of its part, and the outputs it declared once applied.
        shared_states, shared_outputs, shared_sensitive = {}, {}, {}
        for part in parts:
            label, root, state = part["label"], part["root"], part["state"]
            states = dict(shared_states)
            states.update({layer["name"]: (layer, state) for layer in part["manifest_layers"]})
            outputs, sensitive = dict(shared_outputs), dict(shared_sensitive)
            if label == "shared":
                shared_states, shared_outputs, shared_sensitive = states, outputs, sensitive
            part["states"] = states
            region = state["state_region"]
            state_role = (state.get("state_assume_role") or {}).get("role_arn")
            s3 = client(moto, "s3", region, state_role)
            # 1. The bootstrap root creates the state bucket (local state), once per bucket.
            if part["bootstrap"]:
                directory = part["bootstrap"]
                bootstrap = os.path.join(root, directory)
                write_overrides(bootstrap, moto, states, "bootstrap", [])
                terraform(["init", "-input=false", "-no-color", plugin_arg], bootstrap, region)
                t0 = time.monotonic()
                apply(bootstrap, region)
                applied.append((shown(part, directory), directory, bootstrap, part))
                buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
                assert state["state_bucket"] in buckets, f"bootstrap did not create {state['state_bucket']}: {buckets}"
                # moto ignores the Condition of the bucket's TLS-only Deny and would deny every state read.
                s3.delete_bucket_policy(Bucket=state["state_bucket"])
                log(f"APPLIED {shown(part, directory)}: {len(state_resources(bootstrap, region))} resources in {time.monotonic() - t0:.1f} s; "
                    f"state bucket {state['state_bucket']} created (its TLS-only policy removed in the emulator only)")
            # 2. Every layer, in the compiler's order.
            for layer in part["layers"]:
                name, directory, reads = layer["name"], layer["dir"], layer["depends_on"]
                layer_dir = os.path.join(root, directory)
                for excluded in write_overrides(layer_dir, moto, states, name, reads):
                    log(f"EXCLUDED {directory} {excluded}")
                    report["checks"].append(f"excluded in {directory}: {excluded.split(';')[0]}")
                t0 = time.monotonic()
                terraform(["init", "-input=false", "-no-color", plugin_arg, f"-backend-config={label}.s3.tfbackend",
                           "-backend-config=zz_infrac_test.backend.hcl"], layer_dir, region)
                layer_info = next((l for l in part["manifest_layers"] if l["dir"] == directory), {})
                wafv2 = lambda info=layer_info: client(moto, "wafv2", info.get("region") or region, info.get("role_arn"))
                try:
                    for address, ident in apply(layer_dir, region, wafv2=wafv2):
                        report["checks"].append(f"recovered in {directory}: {address} ({ident}), created by a retried request")
                finally:
                    applied.append((shown(part, directory), directory, layer_dir, part))
                resources = state_resources(layer_dir, region)
                declared = json.loads(terraform(["output", "-json"], layer_dir, region).stdout)
                outputs[name] = {k: v["value"] for k, v in declared.items()}
                sensitive[name] = {k for k, v in declared.items() if v.get("sensitive")}
                managed = [r for r in resources if r.get("mode") == "managed"]
                log(f"APPLIED {shown(part, directory)}: {len(managed)} resources in {time.monotonic() - t0:.1f} s")
                report["layers"].append({"dir": shown(part, directory), "resources": len(managed), "seconds": round(time.monotonic() - t0, 1)})
                # Cross-layer values: what this layer read equals what the producer declared.
                for resource in resources:
                    if resource.get("type") != "terraform_remote_state":
                        continue
                    producer = next((n for n in states if n.replace("-", "_") == resource["name"]), resource["name"])
                    read = resource["values"].get("outputs", {})
                    for key, value in read.items():
                        expected = outputs[producer][key]
                        if value != expected:
                            failures.append(f"{shown(part, directory)} read {producer}.{key} = {value!r}, but {producer} has {expected!r}")
                        else:
                            # A sensitive output is compared, never printed.
                            value_shown = "(sensitive)" if key in sensitive.get(producer, ()) else json.dumps(value)[:60]
                            report["checks"].append(f"{shown(part, directory)} reads {producer}.{key} = {value_shown}")
                # The state object sits at its key (layers.json), which depends on the part and
                # the layer's name only.
                key = states[name][0]["state_key"]
                if key != f"{label}/{name}/terraform.tfstate":
                    failures.append(f"{directory}: state key {key} is not {label}/{name}/terraform.tfstate")
                head = s3.head_object(Bucket=state["state_bucket"], Key=key)
                report["checks"].append(f"state s3://{state['state_bucket']}/{key} ({head['ContentLength']} bytes)")
        # 3. Roles: every role the builds name was assumed through STS, by the provider or the backend.
        wanted = set()
        for part in parts:
            wanted.update(l["role_arn"] for l in part["manifest_layers"] if l.get("role_arn"))
            if part["state"].get("state_assume_role"):
                wanted.add(part["state"]["state_assume_role"]["role_arn"])
        if wanted:
            assumed = assumed_roles(moto)
            for role in sorted(wanted):
                if role in assumed:
                    report["checks"].append(f"role {role} assumed")
                else:
                    failures.append(f"role {role} was never assumed (assumed: {sorted(assumed)})")
        # 4. Locking: every layer's state was locked with an S3 lock file while Terraform wrote it.
        lock_puts = {r.get("url", "").split("?")[0] for r in moto.recording() if r.get("method") == "PUT" and ".tflock" in r.get("url", "")}
        for part in parts:
            for layer in part["layers"]:
                lock = part["states"][layer["name"]][0]["state_key"] + ".tflock"
                if not any(uri.endswith(lock) for uri in lock_puts):
                    failures.append(f"no S3 lock file was written for {shown(part, layer['dir'])} ({lock})")
                else:
                    report["checks"].append(f"lock file {lock} used")
    except (StepFailed, AssertionError, KeyError, botocore.exceptions.ClientError) as error:
        failures.append(str(error))
    finally:
        # 5. Destroy in reverse order: each environment, then the shared layers; a bootstrap goes
        # after the layers of its part, once its bucket is emptied.
        for label, directory, layer_dir, part in reversed(applied):
            t0 = time.monotonic()
            state = part["state"]
            region = state["state_region"]
            is_bootstrap = directory == part["bootstrap"]
            try:
                if is_bootstrap:
                    state_role = (state.get("state_assume_role") or {}).get("role_arn")
                    empty_bucket(client(moto, "s3", region, state_role), state["state_bucket"])
                layer_info = next((l for l in part["manifest_layers"] if l["dir"] == directory), {})
                removed = delete_leftover_interfaces(
                    client(moto, "ec2", layer_info.get("region") or region, layer_info.get("role_arn")))
                if removed:
                    log(f"NOTE {label}: deleted {len(removed)} unattached network interface(s) moto left behind")
                unprotected = unprotect(layer_dir)
                if unprotected:
                    # Deletion protection refuses a destroy (as it should); switch it off first,
                    # the way an operator would, through an override of the module inputs.
                    # Only the protected modules: a full apply would also fight moto's read-back
                    # quirks (a private zone's VPC association is not returned).
                    targets = [f"-target={address}" for address in unprotected]
                    apply(layer_dir, region, targets)
                    log(f"UNPROTECTED {label}: {', '.join(unprotected)} (deletion_protection = false, applied)")
                terraform(["destroy", "-auto-approve", "-input=false", "-no-color"], layer_dir, region)
                left = [r for r in state_resources(layer_dir, region) if r.get("mode") == "managed"] if not is_bootstrap else []
                if left:
                    failures.append(f"{label}: {len(left)} resources left after destroy")
                log(f"DESTROYED {label} in {time.monotonic() - t0:.1f} s")
            except StepFailed as error:
                failures.append(f"destroy {label}: {error}")
        moto.stop()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    for check in report["checks"]:
        log(f"CHECK {check}")
    for failure in failures:
        log(f"FAILED {failure}")
    applied_parts = [p["label"] for p in parts]
    log(f"deploy {', '.join(applied_parts or envs)}: {len(report['layers'])} layer(s) applied, {len(report['checks'])} check(s), "
        f"{len(failures)} failure(s), {time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
