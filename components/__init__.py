"""The program's modules, by the stage data flows through:

    settings/  the stack's configuration, read and checked once ──> typed args per component
    aws/       the AWS resources those args describe ──> instances, addresses, roles, load balancers, bucket
    cluster/   the remote steps over SSH (phases/ lists them) ──> a Ready cluster and its kubeconfig

facts.py holds the facts every stage shares (ports, paths, names on the nodes); versions.py the one
table of what lands on the nodes, pinned.
"""
