"""AWS resources: what the stack creates in AWS, one component per concern.

Takes each component's typed args (built from the settings by __main__.py) and the region's facts
(lookups.py: zones, images, instance types); gives the network, the security groups, the nodes' roles,
the key pair, the instances with their user data, the API's load balancers, the snapshot bucket, the
instances' power states and the cost estimate, whose outputs the cluster stage runs its steps against.
"""
