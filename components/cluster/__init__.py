"""The cluster: the kubeadm bootstrap chain over SSH that turns prepared nodes into a Ready cluster.

Takes the nodes (their addresses, host keys and instance ids), the stack's keys (pki.py), and the
settings the chain needs; gives the remote steps (one pulumi-command resource each, built by
remote_steps.py from rendered scripts/ files, listed by the phases in phases/) and the cluster's
outputs: its endpoint, the admin kubeconfig and the readiness gate. cloud_init.py writes the user data
the instances boot with; hardening.py and kubeadm_config.py the files kubeadm reads.
"""
