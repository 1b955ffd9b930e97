"""deploy/k8s, validated offline: the core resources with kubernetes-validate (strict, against
one Kubernetes version's schemas it ships), KEDA's ScaledObject against its CRD's schema
(vendored, deploy/schemas/), then what no schema knows: selectors and references resolve,
every role gets every setting the app requires, commands and probes are ones `boomerang` and
the app answer, and every container is sized for the 2-core machine class."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import kubernetes_validate
import pytest
import yaml

from app import metrics
from tests.deploy.manifests import K8S, SCHEMAS, load_documents, parse_boomerang, required_settings

KUBERNETES_VERSION = "1.33.0"
NOT_APPLIED = {"secret.example.yaml", "kustomization.yaml"}


def manifest_files() -> list[Path]:
    return sorted(K8S.glob("*.yaml"))


def applied() -> list[dict[str, Any]]:
    return [
        doc
        for path in manifest_files()
        if path.name not in NOT_APPLIED
        for doc in load_documents(path)
    ]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in applied() if doc["kind"] == kind}


def containers() -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in ("Deployment", "Job"):
        for name, doc in of_kind(kind).items():
            for container in doc["spec"]["template"]["spec"]["containers"]:
                yield f"{kind}/{name}", container


def core_errors(doc: dict[str, Any]) -> str | None:
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return str(exc)
    return None


def keda_errors(doc: dict[str, Any]) -> list[str]:
    [crd] = load_documents(SCHEMAS / "keda.sh_scaledobjects.yaml")
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == doc["apiVersion"].split("/")[1]]
    schema = version["schema"]["openAPIV3Schema"]
    validator = jsonschema.Draft7Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.mark.parametrize(
    "doc",
    [
        doc
        for path in manifest_files()
        if path.name != "kustomization.yaml"
        for doc in load_documents(path)
    ],
    ids=lambda doc: f"{doc['kind']}/{doc['metadata']['name']}",
)
def test_manifest_is_valid(doc: dict[str, Any]) -> None:
    if doc["apiVersion"].startswith("keda.sh/"):
        assert keda_errors(doc) == []
    else:
        assert core_errors(doc) is None


def test_the_validators_catch_a_wrong_field() -> None:
    web = copy.deepcopy(of_kind("Deployment")["boomerang-web"])
    web["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}
    assert core_errors(web) is not None
    scaled = copy.deepcopy(of_kind("ScaledObject")["boomerang-worker"])
    scaled["spec"]["minReplicaCount"] = "one"
    assert keda_errors(scaled)


def test_kustomization_applies_every_manifest_but_the_secret_template() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in manifest_files()} - NOT_APPLIED
    assert kustomization["namespace"] == "boomerang"
    assert all(doc["metadata"].get("namespace", "boomerang") == "boomerang" for doc in applied())


def test_every_role_gets_every_required_setting() -> None:
    [secret] = load_documents(K8S / "secret.example.yaml")
    sources = {
        ("secretRef", secret["metadata"]["name"]): set(secret["stringData"]),
        **{("configMapRef", n): set(cm["data"]) for n, cm in of_kind("ConfigMap").items()},
    }
    seen = set()
    for owner, container in containers():
        provided = {env["name"] for env in container.get("env", [])}
        for source in container["envFrom"]:
            [(kind, ref)] = source.items()
            provided |= sources[(kind, ref["name"])]
        missing = required_settings() - provided
        assert not missing, f"{owner} lacks {sorted(missing)}"
        seen.add(parse_boomerang(container["command"]).command)
    assert seen == {"serve", "worker", "migrate"}


def test_secret_template_holds_placeholders_only() -> None:
    [secret] = load_documents(K8S / "secret.example.yaml")
    for key, value in secret["stringData"].items():
        assert re.search(r"<[^<>]+>", value), f"{key} looks like a real value"


async def test_probes_ask_routes_that_answer_and_commands_boomerang_accepts(
    client: httpx.AsyncClient,
) -> None:
    paths = set()
    for owner, container in containers():
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            spec = container.get(probe)
            if spec is None:
                continue
            if "httpGet" in spec:
                ports = {p["name"]: p["containerPort"] for p in container["ports"]}
                assert ports[spec["httpGet"]["port"]] == parse_boomerang(container["command"]).port
                paths.add(spec["httpGet"]["path"])
            else:
                args = parse_boomerang(spec["exec"]["command"])
                assert args.command == "healthcheck", owner
                role = {"serve": "web", "worker": "worker"}[
                    parse_boomerang(container["command"]).command
                ]
                assert args.role == role, owner
    assert paths == {"/healthz", "/readyz"}
    for path in sorted(paths):
        assert (await client.get(path)).status_code == 200, path
    # Readiness never on the worker (no traffic), liveness never on /readyz.
    for owner, container in containers():
        assert "httpGet" not in container.get("livenessProbe", {"exec": {}})
        if owner == "Deployment/boomerang-worker":
            assert "readinessProbe" not in container


def cpu(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def mebibytes(quantity: str) -> int:
    units = {"Mi": 1, "Gi": 1024}
    return int(quantity[:-2]) * units[quantity[-2:]]


def test_containers_are_sized_for_the_two_core_class() -> None:
    for owner, container in containers():
        requests, limits = container["resources"]["requests"], container["resources"]["limits"]
        assert cpu(requests["cpu"]) <= cpu(limits["cpu"]) <= 1, owner
        assert mebibytes(requests["memory"]) <= mebibytes(limits["memory"]) <= 1024, owner
    # A web and a worker replica fit one 2-core node's requests with room for the system.
    web = next(c for o, c in containers() if o == "Deployment/boomerang-web")
    worker = next(c for o, c in containers() if o == "Deployment/boomerang-worker")
    assert (
        cpu(web["resources"]["requests"]["cpu"]) + cpu(worker["resources"]["requests"]["cpu"]) <= 1
    )


def test_selectors_and_references_resolve() -> None:
    deployments = of_kind("Deployment")

    def pods(selector: dict[str, str]) -> set[str]:
        return {
            name
            for name, d in deployments.items()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        }

    for name, d in deployments.items():
        assert pods(d["spec"]["selector"]["matchLabels"]) == {name}
    for kind in ("Service", "PodDisruptionBudget"):
        for name, doc in of_kind(kind).items():
            selector = doc["spec"]["selector"]
            assert len(pods(selector.get("matchLabels", selector))) == 1, f"{kind}/{name}"
    [hpa] = of_kind("HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"]["name"] == "boomerang-web"
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    services = of_kind("Service")
    for ingress in of_kind("Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
                assert backend["port"]["name"] in ports


def test_workers_scale_on_the_queue_depth_the_worker_exports() -> None:
    [scaled] = of_kind("ScaledObject").values()
    assert scaled["spec"]["scaleTargetRef"]["name"] == "boomerang-worker"
    assert scaled["spec"]["minReplicaCount"] >= 1  # the cron jobs and the metric live there
    [trigger] = scaled["spec"]["triggers"]
    assert trigger["type"] == "prometheus"
    assert f"max({metrics.QUEUE_READY_JOBS._name}{{" in trigger["metadata"]["query"]
    worker = of_kind("Deployment")["boomerang-worker"]["spec"]["template"]
    port = worker["metadata"]["annotations"]["prometheus.io/port"]
    [container] = worker["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["WORKER_METRICS_PORT"] == port
    assert env["WORKER_METRICS_HOST"] == "0.0.0.0"  # noqa: S104  (Prometheus scrapes the pod)


def nginx_body_limits() -> dict[str, str]:
    """client_max_body_size per location of deploy/nginx.conf (the server's for `/`)."""
    conf = (K8S.parent / "nginx.conf").read_text()
    server_level = re.search(r"\n    client_max_body_size (\S+);", conf)
    assert server_level is not None
    limits = {"/": server_level.group(1)}
    for location, body in re.findall(r"location [=~ ]*(\S+) \{(.*?)\}", conf, re.S):
        found = re.search(r"client_max_body_size (\S+);", body)
        if found:
            limits[location] = found.group(1)
    return limits


def test_the_ingress_keeps_the_body_limits_of_nginx_conf() -> None:
    nginx = nginx_body_limits()
    ingress = {
        path["path"]: doc["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
        for doc in of_kind("Ingress").values()
        for rule in doc["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert ingress["/webhooks"] == nginx["/webhooks"] == "10m"
    assert ingress["/"] == nginx["/"]
    public = nginx["^/(t|u)/"]
    assert ingress["/t"] == ingress["/u"] == public
