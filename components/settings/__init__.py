"""Settings: the stack's configuration, read and checked once.

Takes the stack's `kubeadm-aws:*` (and the AWS caller's `aws:*`) configuration; gives `Settings`, one
checked value per setting, from which __main__.py builds each component's typed args. Nothing is
registered while a setting is wrong. The table (table.py) is the one description of every setting; the
reader (reader.py) checks them with their kinds (types.py) and the checks across settings (checks.py);
docs.py writes Pulumi.yaml's config block and the README's table from it.
"""

from components.settings.checks import PROJECT, ConfigError, subnet_cidr_of, subnet_cidrs_of
from components.settings.reader import Settings, aws_caller, load, replacing_nodes
from components.settings.table import SETTINGS, Setting

__all__ = [
    "PROJECT",
    "SETTINGS",
    "ConfigError",
    "Setting",
    "Settings",
    "aws_caller",
    "load",
    "replacing_nodes",
    "subnet_cidr_of",
    "subnet_cidrs_of",
]
