"""The kubeadm bootstrap chain: remote commands over SSH that turn prepared nodes into a Ready cluster.

    each node: wait for cloud-init
    control plane: kubeadm init (cluster CA on stdin) ──> CNI
                                    └─> per worker: join token ──> join (on the worker) ──> registered
    control plane: readiness gate after the CNI and every registered worker ──> kubeconfig

Each step is a resource whose outputs feed the next, so `pulumi up` stops at the first failure with the
node's own message. Commands that carry a token or a key take it on stdin and keep their output secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_command import remote

from components import kubeadm_config, scripts, versions
from components.config import ClusterConfig
from components.nodes import LOGIN_USER, ClusterNodes, NodeInfo
from components.pki import ClusterPki

JOIN_TOKEN_TTL = "4h"
JOIN_ATTEMPTS = 3
NODE_REGISTRATION_TIMEOUT_SECONDS = 300
READINESS_TIMEOUT_SECONDS = 900

# A booting instance refuses SSH for a minute or two, and its key arrives with cloud-init. The first
# command of each node retries dialing for 15 to 45 minutes (5 s between refused attempts, up to 10 s
# for each unanswered one); later commands find the node up.
BOOTING_NODE_DIAL_ATTEMPTS = 180
DIAL_ATTEMPTS = 30
PER_DIAL_TIMEOUT_SECONDS = 10

CNI_MANIFESTS = {"calico": versions.CALICO_MANIFEST_URL, "flannel": versions.FLANNEL_MANIFEST_URL}


@dataclass(frozen=True)
class _Step:
    """How one remote command runs, besides its script."""

    timeout: str = "15m"
    stdin: pulumi.Input[str] | None = None
    delete: pulumi.Input[str] | None = None
    secret_output: bool = False
    booting_node: bool = False
    triggers: Sequence[pulumi.Input] = ()
    depends_on: Sequence[pulumi.Resource] = ()


class KubeadmBootstrap(pulumi.ComponentResource):
    """kubeadm init, the CNI, a token and a join per worker, and a readiness gate.

    Attributes:
        kubeconfig: an admin kubeconfig for `https://<Elastic IP>:6443` (a secret), resolved once
            every node is Ready.
        api_server_endpoint: `https://<Elastic IP>:6443`.
        node_names: the Kubernetes node names, control plane first.
        ready: the readiness gate command; depend on it to act on a Ready cluster.
    """

    kubeconfig: pulumi.Output[str]
    api_server_endpoint: pulumi.Output[str]
    node_names: list[str]
    ready: remote.Command

    def __init__(
        self,
        name: str,
        cfg: ClusterConfig,
        nodes: ClusterNodes,
        pki: ClusterPki,
        ssh_private_key: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("kubeadm-aws:index:KubeadmBootstrap", name, None, opts)
        self._cfg = cfg
        self._pki = pki
        self._ssh_private_key = ssh_private_key
        self._control_plane = control_plane = nodes.control_plane

        init = self._kubeadm_init(control_plane, self._wait_for_cloud_init(control_plane))
        after_init = [self._install_cni(init)]
        if nodes.workers:
            after_init += [self._join(worker, init) for worker in nodes.workers]
        else:
            after_init.append(self._allow_workloads_on_control_plane(init))

        self.node_names = [control_plane.name, *(worker.name for worker in nodes.workers)]
        self.ready = self._readiness_gate(after_init)
        self.api_server_endpoint = pulumi.Output.concat(
            "https://", control_plane.public_ip, f":{kubeadm_config.API_SERVER_PORT}"
        )
        kubeconfig = pki.kubeconfig(cfg.cluster_name, self.api_server_endpoint)
        self.kubeconfig = pulumi.Output.all(self.ready.id, kubeconfig).apply(lambda args: args[1])
        self.register_outputs({"api_server_endpoint": self.api_server_endpoint, "kubeconfig": self.kubeconfig})

    # --- the steps ---------------------------------------------------------------------------------

    def _wait_for_cloud_init(self, node: NodeInfo) -> remote.Command:
        return self._run(
            f"{node.name}-cloud-init",
            node,
            scripts.render("wait-for-cloud-init.sh"),
            _Step(timeout="30m", booting_node=True, triggers=[node.instance.id]),
        )

    def _kubeadm_init(self, node: NodeInfo, node_ready: remote.Command) -> remote.Command:
        cfg = self._cfg
        script = pulumi.Output.all(node.private_ip, node.public_ip, node.public_dns, self._pki.ca_cert_pem).apply(
            lambda args: scripts.render(
                "kubeadm-init.sh",
                NODE_NAME=node.name,
                LOGIN_USER=LOGIN_USER,
                KUBEADM_CONFIG=kubeadm_config.init_configuration(
                    cluster_name=cfg.cluster_name,
                    node_name=node.name,
                    private_ip=args[0],
                    public_ip=args[1],
                    endpoint_dns=args[2],
                    kubernetes_minor=cfg.kubernetes_version,
                    pod_cidr=cfg.pod_cidr,
                    service_cidr=cfg.service_cidr,
                ),
                CA_CERT=args[3],
            )
        )
        return self._run(
            f"{node.name}-kubeadm-init",
            node,
            script,
            _Step(stdin=self._pki.ca_private_key_pem, secret_output=True, depends_on=[node_ready]),
        )

    def _install_cni(self, init: remote.Command) -> remote.Command:
        cfg = self._cfg
        script = scripts.render(
            "install-cni.sh", CNI=cfg.cni, MANIFEST_URL=CNI_MANIFESTS[cfg.cni], POD_CIDR=cfg.pod_cidr
        )
        return self._run(
            f"{self._control_plane.name}-cni-{cfg.cni}", self._control_plane, script, _Step(depends_on=[init])
        )

    def _join(self, worker: NodeInfo, init: remote.Command) -> remote.Command:
        """Joins one worker with a token of its own; returns the step that sees it registered."""
        control_plane = self._control_plane
        token = self._run(
            f"{worker.name}-join-token",
            control_plane,
            scripts.render("create-join-token.sh", NODE_NAME=worker.name, TOKEN_TTL=JOIN_TOKEN_TTL),
            _Step(secret_output=True, triggers=[worker.instance.id], depends_on=[init]),
        )
        join_config = pulumi.Output.secret(
            pulumi.Output.all(
                token.stdout, worker.private_ip, control_plane.public_dns, self._pki.discovery_hash
            ).apply(
                lambda args: kubeadm_config.join_configuration(
                    node_name=worker.name,
                    node_ip=args[1],
                    api_endpoint=f"{args[2]}:{kubeadm_config.API_SERVER_PORT}",
                    token=args[0].strip(),
                    ca_cert_hash=args[3],
                )
            )
        )
        join = self._run(
            f"{worker.name}-join",
            worker,
            scripts.render("kubeadm-join.sh", NODE_NAME=worker.name, ATTEMPTS=JOIN_ATTEMPTS),
            _Step(
                stdin=join_config,
                secret_output=True,
                delete=scripts.render("kubeadm-reset.sh"),
                depends_on=[self._wait_for_cloud_init(worker), token],
            ),
        )
        # Created after the join, so deleted before it: on scale-down the control plane drains and
        # deletes the node first, then the worker resets, then its instance goes.
        return self._run(
            f"{worker.name}-registered",
            control_plane,
            scripts.render(
                "wait-for-node.sh", NODE_NAME=worker.name, TIMEOUT_SECONDS=NODE_REGISTRATION_TIMEOUT_SECONDS
            ),
            _Step(delete=scripts.render("remove-node.sh", NODE_NAME=worker.name), depends_on=[join]),
        )

    def _allow_workloads_on_control_plane(self, init: remote.Command) -> remote.Command:
        node = self._control_plane
        return self._run(
            f"{node.name}-schedulable",
            node,
            scripts.render("control-plane-taint.sh", NODE_NAME=node.name, TAINT_ACTION="remove"),
            _Step(
                delete=scripts.render("control-plane-taint.sh", NODE_NAME=node.name, TAINT_ACTION="restore"),
                depends_on=[init],
            ),
        )

    def _readiness_gate(self, after: list[remote.Command]) -> remote.Command:
        return self._run(
            f"{self._cfg.cluster_name}-ready",
            self._control_plane,
            scripts.render(
                "wait-for-cluster.sh", NODE_NAMES=" ".join(self.node_names), TIMEOUT_SECONDS=READINESS_TIMEOUT_SECONDS
            ),
            _Step(timeout="20m", triggers=list(self.node_names), depends_on=after),
        )

    # --- how every step runs -----------------------------------------------------------------------

    def _connection(self, node: NodeInfo, booting: bool) -> remote.ConnectionArgs:
        return remote.ConnectionArgs(
            host=node.public_ip,
            user=LOGIN_USER,
            private_key=self._ssh_private_key,
            dial_error_limit=BOOTING_NODE_DIAL_ATTEMPTS if booting else DIAL_ATTEMPTS,
            per_dial_timeout=PER_DIAL_TIMEOUT_SECONDS,
        )

    def _run(self, name: str, node: NodeInfo, script: pulumi.Input[str], step: _Step) -> remote.Command:
        """A remote command that runs `script` as root on `node`."""
        has_delete = step.delete is not None
        return remote.Command(
            name,
            connection=self._connection(node, step.booting_node),
            create=pulumi.Output.from_input(script).apply(scripts.as_root),
            delete=pulumi.Output.from_input(step.delete).apply(scripts.as_root) if has_delete else None,
            stdin=step.stdin,
            triggers=list(step.triggers) or None,
            logging=remote.Logging.NONE if step.secret_output else remote.Logging.STDOUT_AND_STDERR,
            add_previous_output_in_env=False,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(step.depends_on),
                custom_timeouts=pulumi.CustomTimeouts(create=step.timeout, update=step.timeout, delete="10m"),
                additional_secret_outputs=["stdout", "stderr"] if step.secret_output else None,
                # A delete command undoes its create, so it runs before a replacement is created, and
                # is skipped when the whole cluster goes (`pulumi destroy` need not reach the hosts).
                delete_before_replace=has_delete,
                deleted_with=self._control_plane.instance if has_delete else None,
            ),
        )
