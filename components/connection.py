"""How the bootstrap's remote steps reach a node: SSH as the image's login user with the stack's key."""

from __future__ import annotations

import pulumi
from pulumi_command import remote

from components.facts import LOGIN_USER
from components.nodes import NodeInfo

# A booting instance refuses SSH for a minute or two, and its key arrives with cloud-init. The first
# command of each node retries dialing for 15 to 45 minutes (5 s between refused attempts, up to 10 s
# for each unanswered one); later commands find the node up.
BOOTING_NODE_DIAL_ATTEMPTS = 180
DIAL_ATTEMPTS = 30
PER_DIAL_TIMEOUT_SECONDS = 10


def ssh_to(node: NodeInfo, private_key: pulumi.Input[str], booting: bool = False) -> remote.ConnectionArgs:
    return remote.ConnectionArgs(
        host=node.public_ip,
        user=LOGIN_USER,
        private_key=private_key,
        dial_error_limit=BOOTING_NODE_DIAL_ATTEMPTS if booting else DIAL_ATTEMPTS,
        per_dial_timeout=PER_DIAL_TIMEOUT_SECONDS,
    )
