"""How the bootstrap's remote steps reach a node: SSH as the image's login user with the stack's key.

The control plane is reached at its Elastic IP. A worker is reached at its private address through the
control plane (an SSH proxy): a worker's public address changes whenever it is stopped and started (a
paused cluster), its private address never does, so a later step finds the worker where it was.
"""

from __future__ import annotations

import pulumi
from pulumi_command import remote

from components.aws.nodes import NodeInfo
from components.facts import LOGIN_USER

# A booting instance refuses SSH for a minute or two, and its key arrives with cloud-init. The first
# command of each node retries dialing for 15 to 45 minutes (5 s between refused attempts, up to 10 s
# for each unanswered one); later commands find the node up.
BOOTING_NODE_DIAL_ATTEMPTS = 180
DIAL_ATTEMPTS = 30
PER_DIAL_TIMEOUT_SECONDS = 10


def ssh_to(
    node: NodeInfo, private_key: pulumi.Input[str], booting: bool = False, through: NodeInfo | None = None
) -> remote.ConnectionArgs:
    """SSH to `node`, or to its private address through the node `through` (the control plane); each hop
    checks the host key the node got from the stack (pulumi-command refuses a node that serves another)."""
    attempts = BOOTING_NODE_DIAL_ATTEMPTS if booting else DIAL_ATTEMPTS
    login = {"user": LOGIN_USER, "private_key": private_key, "per_dial_timeout": PER_DIAL_TIMEOUT_SECONDS}
    if through is None:
        return remote.ConnectionArgs(host=node.public_ip, host_key=node.host_key, dial_error_limit=attempts, **login)
    return remote.ConnectionArgs(
        host=node.private_ip,
        host_key=node.host_key,
        dial_error_limit=attempts,
        proxy=remote.ProxyConnectionArgs(
            host=through.public_ip, host_key=through.host_key, dial_error_limit=attempts, **login
        ),
        **login,
    )
