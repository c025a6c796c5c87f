"""What the stack costs an hour, in USD: the on-demand price of each instance, the gp3 root volumes and
the public IPv4 addresses, from the AWS Price List API. Its endpoint answers in a few regions only, so
the lookups go through a provider of their own in one of them. A lookup that fails leaves the figure
unknown, with a warning; it never fails `pulumi up`.

With several control planes, the API's two Network Load Balancers count at their hourly price (their
capacity units, which follow traffic, do not). Not counted: data transfer, the etcd snapshots in S3
(cents a month), and load balancers and volumes that the cluster's workloads create. Spot workers are
counted at the on-demand price, an upper bound.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

PRICE_LIST_REGION = "us-east-1"

HOURS_PER_MONTH = 730  # AWS prices storage per GB-month of 730 hours
# AWS charges every public IPv4 address, in use or not, the same in every commercial region since
# 2024-02-01 (aws.amazon.com/vpc/pricing); the Price List names it by region-specific usage types only.
PUBLIC_IPV4_USD_PER_HOUR = 0.005


@dataclass(frozen=True)
class CostEstimateArgs:
    region: str
    control_plane_type: str
    worker_type: str
    worker_count: int
    root_volume_gib: int
    paused: bool
    control_plane_count: int = 1
    load_balancers: int = 0  # the API's Network Load Balancers
    # The stack's own AWS identity settings (settings.aws_caller): the Price List's provider acts as it.
    caller: dict[str, Any] = field(default_factory=dict)


def _instance_filters(region: str, instance_type: str) -> dict[str, str]:
    return {
        "regionCode": region,
        "instanceType": instance_type,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
    }


def _gp3_filters(region: str) -> dict[str, str]:
    return {"regionCode": region, "productFamily": "Storage", "volumeApiName": "gp3"}


def _network_load_balancer_filters(region: str) -> dict[str, str]:
    # The hour of a Network Load Balancer, not its capacity units (another product of the same family).
    return {
        "regionCode": region,
        "locationType": "AWS Region",
        "productFamily": "Load Balancer-Network",
        "operation": "LoadBalancing:Network",
        "groupDescription": "LoadBalancer hourly usage by Network Load Balancer",
    }


def on_demand_usd(product_json: str) -> float:
    """The one on-demand price of a Price List product (per hour, or per GB-month for storage)."""
    terms = json.loads(product_json)["terms"]["OnDemand"]
    (prices,) = [
        float(dimension["pricePerUnit"]["USD"])
        for term in terms.values()
        for dimension in term["priceDimensions"].values()
    ]
    return prices


def estimate_hourly_usd(
    args: CostEstimateArgs,
    instance_usd: dict[str, float],
    gp3_usd_per_gb_month: float,
    load_balancer_usd: float = 0.0,
) -> float:
    nodes = args.control_plane_count + args.worker_count
    running = args.control_plane_count * instance_usd[args.control_plane_type] + args.worker_count * instance_usd.get(
        args.worker_type, 0.0
    )
    instances = 0.0 if args.paused else running
    storage = nodes * args.root_volume_gib * gp3_usd_per_gb_month / HOURS_PER_MONTH
    # A stopped node gives its public address back; the first control plane keeps its Elastic IP.
    addresses = (1 if args.paused else nodes) * PUBLIC_IPV4_USD_PER_HOUR
    # Load balancers bill by the hour whether or not the instances run.
    balancers = args.load_balancers * load_balancer_usd
    return round(instances + storage + addresses + balancers, 4)


class CostEstimate(pulumi.ComponentResource):
    """The stack's hourly cost.

    Attributes:
        hourly_usd: the estimate in USD an hour, or None when the Price List API did not answer.
    """

    hourly_usd: float | None

    def __init__(self, name: str, args: CostEstimateArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:CostEstimate", name, None, opts)
        # Credentials are not checked when the provider starts (an STS call that, failing, would fail
        # `pulumi up`): a lookup that fails later is a warning.
        price_list = aws.Provider(
            f"{name}-price-list",
            region=PRICE_LIST_REGION,
            skip_credentials_validation=True,
            skip_requesting_account_id=True,
            **args.caller,
            opts=pulumi.ResourceOptions(parent=self),
        )
        invoke = pulumi.InvokeOptions(provider=price_list, parent=self)
        try:
            instance_usd = {
                instance_type: self._price("AmazonEC2", _instance_filters(args.region, instance_type), invoke)
                for instance_type in {args.control_plane_type, *([args.worker_type] if args.worker_count else [])}
            }
            gp3 = self._price("AmazonEC2", _gp3_filters(args.region), invoke)
            balancer = (
                self._price("AWSELB", _network_load_balancer_filters(args.region), invoke)
                if args.load_balancers
                else 0.0
            )
        except Exception as error:  # the API's answer, whatever it is, must not fail pulumi up
            pulumi.log.warn(f"hourlyCost is unknown: the AWS Price List API did not price the stack ({error})", self)
            self.hourly_usd = None
        else:
            self.hourly_usd = estimate_hourly_usd(args, instance_usd, gp3, balancer)
        self.register_outputs({"hourly_usd": self.hourly_usd})

    @staticmethod
    def _price(service: str, filters: dict[str, str], invoke: pulumi.InvokeOptions) -> float:
        product = aws.pricing.get_product(
            service_code=service,
            filters=[{"field": field, "value": value} for field, value in filters.items()],
            opts=invoke,
        )
        return on_demand_usd(product.result)
