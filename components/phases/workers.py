"""A worker's steps: a token of its own from the control plane, the join on the worker, and the
control plane seeing it registered."""

from __future__ import annotations

import pulumi
from pulumi_command import remote

from components import delete_hooks, kubeadm_config
from components.facts import API_SERVER_PORT
from components.nodes import NodeInfo
from components.phases.nodes import wait_for_cloud_init
from components.pki import ClusterCredentials
from components.remote_steps import Step, StepRunner
from components.script_rendering import render

JOIN_TOKEN_TTL = "4h"
JOIN_ATTEMPTS = 3
NODE_REGISTRATION_TIMEOUT_SECONDS = 300


def join(
    run: StepRunner,
    worker: NodeInfo,
    *,
    control_plane: NodeInfo,
    credentials: ClusterCredentials,
    init: remote.Command,
) -> remote.Command:
    """Joins one worker; returns the step that sees it registered."""
    token = run.run(
        Step(
            f"{worker.name}-join-token",
            control_plane,
            render("bootstrap/create-join-token.sh", NODE_NAME=worker.name, TOKEN_TTL=JOIN_TOKEN_TTL),
            triggers=[worker.instance.id],  # a new worker gets a new token
            secret_output=True,
            after=[init],
        )
    )
    join_config = pulumi.Output.secret(
        pulumi.Output.all(token.stdout, worker.private_ip, control_plane.public_dns, credentials.discovery_hash).apply(
            lambda args: kubeadm_config.join_configuration(
                node_name=worker.name,
                node_ip=args[1],
                api_endpoint=f"{args[2]}:{API_SERVER_PORT}",
                token=args[0].strip(),
                ca_cert_hash=args[3],
            )
        )
    )
    joined = run.run(
        Step(
            f"{worker.name}-join",
            worker,
            render("bootstrap/kubeadm-join.sh", NODE_NAME=worker.name, ATTEMPTS=JOIN_ATTEMPTS),
            stdin=join_config,
            secret_output=True,
            delete=delete_hooks.reset_node(),
            after=[wait_for_cloud_init(run, worker), token],
        )
    )
    # Created after the join, so deleted before it: on scale-down the control plane drains and deletes
    # the Node first, then the worker resets, then its instance goes.
    return run.run(
        Step(
            f"{worker.name}-registered",
            control_plane,
            render(
                "bootstrap/wait-for-node.sh", NODE_NAME=worker.name, TIMEOUT_SECONDS=NODE_REGISTRATION_TIMEOUT_SECONDS
            ),
            delete=delete_hooks.remove_node(worker.name),
            after=[joined],
        )
    )
