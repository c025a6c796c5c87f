"""Stand-ins for the tools a node step drives that cannot run here (kubeadm, systemctl, crictl) and for
`sleep`, used by tests/fresh_node.py. They act on the real paths of the node they run on (a private
mount namespace) and keep the cluster's side in the state directory of tests/kubectl_stand_in.py
($KUBE_STATE), where the kubectl stand-in reads it. Each behaviour a step relies on cites the tool's
source or documentation."""
