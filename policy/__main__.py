"""The kubeadm-aws policy pack. Run with: pulumi preview --policy-pack policy"""

from pulumi_policy import PolicyPack

from policies import POLICIES

PolicyPack(name="kubeadm-aws", policies=POLICIES)
