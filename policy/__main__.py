"""The kubeadm-aws policy pack. Run with: pulumi preview --policy-pack policy"""

from policies import POLICIES
from pulumi_policy import PolicyPack

PolicyPack(name="kubeadm-aws", policies=POLICIES)
