"""Stand-ins for the cloud providers under Pulumi's mock engine.

AWS answers from small tables shaped like the real API's answers. pulumi-tls answers with real keys and
certificates made by `cryptography`, so that the program's own PKI code (discovery hash, kubeconfig)
runs on genuine material. pulumi-command's remote commands answer with empty output: what they would
print comes from real hosts, which the tests do not have.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field, replace

import pulumi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from tests.envelope import secret, unwrap_secrets

REGION = "ap-south-1"
# The UID of kube-system that kubeadm-init.sh prints.
CLUSTER_ID = "3f1c2a9e-6b1d-4c55-9f0e-2d7a51c0b8aa"
ZONES = (f"{REGION}a", f"{REGION}b", f"{REGION}c")

# Real characteristics of these instance types (vCPUs, MiB, architectures).
INSTANCE_TYPES = {
    "t2.micro": (1, 1024, ["i386", "x86_64"]),
    "t3.small": (2, 2048, ["x86_64"]),
    "t3.micro": (2, 1024, ["x86_64"]),
    "t2.medium": (2, 4096, ["i386", "x86_64"]),
    "t3.medium": (2, 4096, ["x86_64"]),
    "t3.large": (2, 8192, ["x86_64"]),
    "t4g.medium": (2, 4096, ["arm64"]),
    "mac1.metal": (12, 32768, ["x86_64_mac"]),
    "u-6tb1.56xlarge": (224, 6291456, ["x86_64"]),
}
# On-demand list prices in the mocks' region (USD an hour; gp3 a GB-month), as AWS's price pages for
# ap-south-1 show them; the README's cost figure is computed from these (tests/test_cost.py).
PRICES = {"t3.medium": 0.0448, "t3.large": 0.0896, "t3.small": 0.0224, "t4g.medium": 0.0368, "gp3 per GB-month": 0.0912,
          # A made-up hourly price of a Network Load Balancer: the figure is not in the README.
          "LoadBalancer hourly usage by Network Load Balancer": 0.025}  # fmt: skip
# Types AWS sells on demand only (the high-memory and Mac families, for example).
ON_DEMAND_ONLY = {"mac1.metal", "u-6tb1.56xlarge"}
# Instance types a zone of the region does not offer.
NOT_OFFERED = {"t4g.medium": {f"{REGION}a"}, "t3.large": {f"{REGION}b", f"{REGION}c"}}


def join_token_for(command_name: str) -> str:
    """A bootstrap token in kubeadm's format, distinct for each token command."""
    digest = hashlib.sha256(command_name.encode()).hexdigest()
    return f"{digest[:6]}.{digest[6:22]}"


# What the workload-access step prints: the ServiceAccount's token (a JWT).
WORKLOAD_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6d29ya2xvYWRzOmRlcGxveWVyIn0.c2ln"

EXISTING_VPCS = {"vpc-0existing": ("172.31.0.0/16", True), "vpc-0nodns": ("10.1.0.0/16", False)}
EXISTING_SUBNETS = {
    "subnet-0public": ("vpc-0existing", f"{REGION}b"),
    "subnet-0public2": ("vpc-0existing", f"{REGION}c"),
    "subnet-0publicb2": ("vpc-0existing", f"{REGION}b"),
    "subnet-0elsewhere": ("vpc-0other", f"{REGION}a"),
    "subnet-0nodns": ("vpc-0nodns", f"{REGION}a"),
}


@dataclass
class CloudInstance:
    """An instance as DescribeInstances reports it."""

    name: str  # its Name tag
    id: str
    state: str = "running"  # pending, running, stopping, stopped or terminated
    spot: bool = False  # instance-lifecycle "spot"
    public_ip: str = ""  # "" while stopped: a started instance gets a new one
    cluster: str = "kubeadm-lab"  # its Cluster tag


@dataclass
class CloudSubnet:
    """A subnet as DescribeSubnets reports it."""

    id: str
    cidr: str
    zone: str
    vpc_id: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Cloud:
    """What AWS holds for the cluster beyond the program's own registrations, as its describe calls answer:
    the instances (with their power state and market) and the subnets. Empty before the first `pulumi up`;
    tests/engine.py keeps it in step with each operation."""

    instances: dict[str, CloudInstance] = field(default_factory=dict)  # by id
    subnets: dict[str, CloudSubnet] = field(default_factory=dict)  # by id
    # Opted-in Local Zones, which DescribeInstanceTypeOfferings lists beside the region's own zones.
    local_zones: tuple[str, ...] = ()

    @classmethod
    def running(cls, names) -> Cloud:
        return cls({f"{name}-id": CloudInstance(name, f"{name}-id") for name in names})


class ClusterMocks(pulumi.runtime.Mocks):
    def __init__(
        self,
        missing_images: frozenset[str] = frozenset(),
        prices: dict | None = None,
        built_before_host_keys: frozenset[str] = frozenset(),
        live_instances: frozenset[str] = frozenset(),
        cloud: Cloud | None = None,
    ) -> None:
        """`missing_images`: Canonical AMI name patterns this region has no image for. `prices`: what the
        Price List answers, by instance type or "gp3 per GB-month" (USD). `built_before_host_keys`: instances
        whose state comes from before nodes got their host keys from the stack. `cloud`: what AWS already
        holds (`live_instances`: the names of instances it runs, a shorthand)."""
        self.missing_images = missing_images
        self.cloud = cloud if cloud is not None else Cloud.running(live_instances)
        self.built_before_host_keys = built_before_host_keys
        self.prices = PRICES if prices is None else prices
        self.invokes: list[tuple[str, dict]] = []
        self.invoke_providers: list[tuple[str, str]] = []  # token and the provider reference, urn::id
        self._keys: dict[str, object] = {}
        self._counter = 0

    def _price_list_product(self, args: dict) -> str | None:
        """A product as the Price List API answers it (one on-demand term, one price dimension), or None."""
        filters = {f["field"]: f["value"] for f in args["filters"]}
        if filters.get("productFamily") == "Load Balancer-Network":
            key = f"{filters.get('groupDescription')}"
        else:
            key = filters.get("instanceType") or f"{filters.get('volumeApiName')} per GB-month"
        if filters.get("regionCode") != REGION or key not in self.prices:
            return None
        dimension = {"unit": "Hrs", "pricePerUnit": {"USD": f"{self.prices[key]:.10f}"}}
        term = {"priceDimensions": {"SKU.TERM.RATE": dimension}}
        return json.dumps({"product": {"attributes": filters}, "terms": {"OnDemand": {"SKU.TERM": term}}})

    # --- resources -------------------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        return self.create(args, f"{args.name}-id")

    def create(self, args: pulumi.runtime.MockResourceArgs, resource_id: str):
        """A new resource with this id: its state, and what it leaves in AWS."""
        self._counter += 1
        args.inputs = unwrap_secrets(args.inputs)
        state = dict(args.inputs)
        handler = getattr(self, "_" + args.typ.replace(":", "_").replace("/", "_").replace("-", "_"), None)
        if handler:
            state.update(handler(args.name, args.inputs))
        self.applied(args.typ, resource_id, unwrap_secrets(state))
        return resource_id, state

    def applied(self, type_: str, resource_id: str, state: dict) -> None:
        """What a create or an update of `type_` leaves in AWS: an instance runs (a Spot one if asked), a
        power state stops or starts its instance, a subnet is there to be described."""
        cloud = self.cloud
        if type_ == "aws:ec2/instance:Instance":
            market = (state.get("instanceMarketOptions") or {}).get("marketType")
            cluster = (state.get("tags") or {}).get("Cluster", "kubeadm-lab")
            cloud.instances[resource_id] = CloudInstance(
                state["tags"]["Name"], resource_id, spot=market == "spot", public_ip=state["publicIp"], cluster=cluster
            )
        elif type_ == "aws:ec2transitgateway/instanceState:InstanceState":
            instance = cloud.instances.get(state["instanceId"])
            if instance is not None and instance.state != state["state"]:
                self._counter += 1  # a started instance gets a new public address; a stopped one has none
                address = f"198.18.0.{self._counter % 250 + 2}" if state["state"] == "running" else ""
                cloud.instances[instance.id] = replace(instance, state=state["state"], public_ip=address)
        elif type_ == "aws:ec2/subnet:Subnet":
            cloud.subnets[resource_id] = CloudSubnet(
                resource_id,
                state["cidrBlock"],
                state["availabilityZone"],
                state["vpcId"],
                dict(state.get("tags") or {}),
            )

    def _aws_ec2_instance_Instance(self, name, inputs):
        octet = self._counter % 250 + 2
        tags = dict(inputs.get("tags") or {})
        if name in self.built_before_host_keys:  # its state, from before the tag existed, lacks it
            tags.pop("kubeadm-aws/host-key", None)
        return {
            "tags": tags,
            "publicIp": f"203.0.113.{octet}",
            "privateIp": f"10.0.0.{octet}",
            "publicDns": f"ec2-203-0-113-{octet}.{REGION}.compute.amazonaws.com",
            "privateDns": f"ip-10-0-0-{octet}.{REGION}.compute.internal",
            "availabilityZone": f"{REGION}a",
            "arn": f"arn:aws:ec2:{REGION}:123456789012:instance/{name}",
        }

    def _aws_ec2_eip_Eip(self, name, inputs):
        return {
            "publicIp": "198.51.100.10",
            "publicDns": f"ec2-198-51-100-10.{REGION}.compute.amazonaws.com",
            "allocationId": f"eipalloc-{name}",
        }

    def _aws_lb_loadBalancer_LoadBalancer(self, name, inputs):
        scheme = "internal-" if inputs.get("internal") else ""
        return {
            "arn": f"arn:aws:elasticloadbalancing:{REGION}:123456789012:loadbalancer/net/{name}/0123456789abcdef",
            "dnsName": f"{scheme}{name}-0123456789abcdef.elb.{REGION}.amazonaws.com",
        }

    def _aws_lb_targetGroup_TargetGroup(self, name, inputs):
        return {"arn": f"arn:aws:elasticloadbalancing:{REGION}:123456789012:targetgroup/{name}/0123456789abcdef"}

    def _aws_ec2_keyPair_KeyPair(self, name, inputs):
        return {"keyName": inputs.get("keyNamePrefix", "") + "generated"}

    def _aws_s3_bucket_Bucket(self, name, inputs):
        bucket = inputs.get("bucketPrefix", "") + "20261125000000000000000001"
        return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "region": REGION}

    def _aws_iam_role_Role(self, name, inputs):
        role = inputs.get("namePrefix", "") + "20261125000000000000000002"
        return {"name": role, "arn": f"arn:aws:iam::123456789012:role/{role}"}

    def _aws_iam_instanceProfile_InstanceProfile(self, name, inputs):
        profile = inputs.get("namePrefix", "") + "20261125000000000000000003"
        return {"name": profile, "arn": f"arn:aws:iam::123456789012:instance-profile/{profile}"}

    def _tls_index_privateKey_PrivateKey(self, name, inputs):
        algorithm = inputs.get("algorithm", "RSA")
        if algorithm == "ED25519":
            key = ed25519.Ed25519PrivateKey.generate()
        elif algorithm == "ECDSA":
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=int(inputs.get("rsaBits", 2048)))
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        openssh = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
        public_openssh = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "privateKeyPem": secret(pem.decode()),
            "privateKeyOpenssh": secret(openssh.decode()),
            "publicKeyOpenssh": public_openssh.decode() + "\n",
            "publicKeyPem": public_pem.decode(),
        }

    def _tls_index_selfSignedCert_SelfSignedCert(self, name, inputs):
        key = _load_key(inputs["privateKeyPem"])
        subject = _name(inputs.get("subject") or {})
        builder = _certificate(subject, subject, key.public_key(), inputs)
        if inputs.get("isCaCertificate"):
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        return {"certPem": builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()}

    def _tls_index_certRequest_CertRequest(self, name, inputs):
        key = _load_key(inputs["privateKeyPem"])
        csr = x509.CertificateSigningRequestBuilder().subject_name(_name(inputs.get("subject") or {}))
        return {"certRequestPem": csr.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()}

    def _tls_index_locallySignedCert_LocallySignedCert(self, name, inputs):
        ca_key = _load_key(inputs["caPrivateKeyPem"])
        ca_cert = x509.load_pem_x509_certificate(inputs["caCertPem"].encode())
        csr = x509.load_pem_x509_csr(inputs["certRequestPem"].encode())
        builder = _certificate(csr.subject, ca_cert.subject, csr.public_key(), inputs)
        return {"certPem": builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()}

    def _command_remote_Command(self, name, inputs):
        # What the scripts print that the program reads: a join token, and the cluster's identity.
        stdout = ""
        if name.endswith("-join-token"):
            stdout = f"{join_token_for(name)}\n"
        elif name.endswith("-kubeadm-init"):
            stdout = f"cluster-id={CLUSTER_ID}\n"
        elif name.endswith("-workload-access"):
            stdout = WORKLOAD_TOKEN
        return {"stdout": stdout, "stderr": ""}

    # --- invokes ---------------------------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs):
        self.invokes.append((args.token, dict(args.args)))
        self.invoke_providers.append((args.token, args.provider))
        if args.token == "aws:ec2/getInstances:getInstances":
            return {"ids": [i.id for i in self._instances(args.args)]}
        if args.token == "aws:ec2/getInstance:getInstance":
            instance = self.cloud.instances.get(args.args["instanceId"])
            if instance is None or instance.state == "terminated":
                raise Exception(f"reading EC2 Instance ({args.args['instanceId']}): couldn't find resource")
            return {"id": instance.id, "instanceState": instance.state, "publicIp": instance.public_ip,
                    "tags": {"Name": instance.name}, "instanceLifecycle": "spot" if instance.spot else ""}  # fmt: skip
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zone_types = {f["name"]: f["values"] for f in args.args.get("filters", [])}.get("zone-type")
            zones = [*ZONES, *(() if zone_types == ["availability-zone"] else self.cloud.local_zones)]
            return {"names": zones, "zoneIds": [f"aps1-az{i}" for i, _ in enumerate(zones, 1)]}
        if args.token == "aws:index/getRegion:getRegion":
            return {"id": REGION, "name": REGION, "region": REGION, "endpoint": f"ec2.{REGION}.amazonaws.com"}
        if args.token == "aws:ec2/getInstanceType:getInstanceType":
            instance_type = args.args["instanceType"]
            if instance_type not in INSTANCE_TYPES:
                raise Exception(f"reading EC2 Instance Type ({instance_type}): InvalidInstanceType")
            vcpus, memory, arches = INSTANCE_TYPES[instance_type]
            return {
                "instanceType": instance_type,
                "defaultVcpus": vcpus,
                "memorySize": memory,
                "supportedArchitectures": arches,
                "supportedUsagesClasses": ["on-demand"] if instance_type in ON_DEMAND_ONLY else ["on-demand", "spot"],
            }
        if args.token == "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
            wanted = args.args["filters"][0]["values"]
            zones = (*ZONES, *self.cloud.local_zones)  # AWS lists opted-in Local Zones as availability-zone too
            pairs = [(z, t) for t in wanted if t in INSTANCE_TYPES for z in zones if z not in NOT_OFFERED.get(t, set())]
            return {"locations": [z for z, _ in pairs], "instanceTypes": [t for _, t in pairs], "locationTypes": []}
        if args.token == "aws:ec2/getAmi:getAmi":
            name_filter = next(f for f in args.args["filters"] if f["name"] == "name")["values"][0]
            digest = hashlib.sha256(name_filter.encode()).hexdigest()[:12]
            return {"id": f"ami-{digest}", "name": name_filter}
        if args.token == "aws:ec2/getAmiIds:getAmiIds":
            name_filter = next(f for f in args.args["filters"] if f["name"] == "name")["values"][0]
            found = name_filter not in self.missing_images
            return {"ids": [f"ami-{hashlib.sha256(name_filter.encode()).hexdigest()[:12]}"] if found else []}
        if args.token == "aws:pricing/getProduct:getProduct":
            product = self._price_list_product(args.args)
            if product is None:  # the provider reports a data source's error as a failure of the invoke
                return {}, [("filters", "reading Pricing Product: no results found for given filters")]
            return {"result": product}
        if args.token == "aws:ec2/getVpcs:getVpcs":
            wanted = args.args["filters"][0]["values"]
            return {"ids": [v for v in wanted if v in EXISTING_VPCS]}
        if args.token == "aws:ec2/getSubnets:getSubnets":
            filters = {f["name"]: f["values"] for f in args.args["filters"]}
            if "subnet-id" in filters:
                return {"ids": [s for s in filters["subnet-id"] if s in EXISTING_SUBNETS or s in self.cloud.subnets]}
            return {"ids": [s.id for s in self.cloud.subnets.values() if _tags_match(s.tags, filters)]}
        if args.token == "aws:ec2/getVpc:getVpc":
            vpc_id = args.args["id"]
            if vpc_id not in EXISTING_VPCS:
                raise Exception(f"no matching EC2 VPC found ({vpc_id})")
            cidr, dns = EXISTING_VPCS[vpc_id]
            return {"id": vpc_id, "cidrBlock": cidr, "enableDnsSupport": dns, "enableDnsHostnames": dns}
        if args.token == "aws:ec2/getSubnet:getSubnet":
            subnet_id = args.args["id"]
            if subnet := self.cloud.subnets.get(subnet_id):
                return {"id": subnet_id, "vpcId": subnet.vpc_id, "availabilityZone": subnet.zone,
                        "cidrBlock": subnet.cidr, "tags": subnet.tags}  # fmt: skip
            if subnet_id not in EXISTING_SUBNETS:
                raise Exception(f"no matching EC2 Subnet found ({subnet_id})")
            vpc_id, zone = EXISTING_SUBNETS[subnet_id]
            return {"id": subnet_id, "vpcId": vpc_id, "availabilityZone": zone}
        raise NotImplementedError(f"no mock for invoke {args.token}")

    def _instances(self, args: dict) -> list[CloudInstance]:
        """DescribeInstances with the filters the program uses: tags, instance-lifecycle, and the states."""
        filters = {f["name"]: f["values"] for f in args.get("filters", [])}
        states = args.get("instanceStateNames") or ["pending", "running", "shutting-down", "stopping", "stopped"]
        lifecycle = filters.pop("instance-lifecycle", None)
        return [
            instance
            for instance in self.cloud.instances.values()
            if instance.state in states
            and _tags_match({"Name": instance.name, "Cluster": instance.cluster}, filters)
            and (lifecycle is None or ("spot" if instance.spot else "") in lifecycle)
        ]


def _tags_match(tags: dict[str, str], filters: dict[str, list[str]]) -> bool:
    """Whether `tags` satisfy every `tag:<key>` filter (the others are not about tags)."""
    return all(tags.get(name[4:]) in values for name, values in filters.items() if name.startswith("tag:"))


def _load_key(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _name(subject: dict) -> x509.Name:
    attributes = []
    if subject.get("organization"):
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject["organization"]))
    if subject.get("commonName"):
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, subject["commonName"]))
    return x509.Name(attributes)


def _certificate(subject, issuer, public_key, inputs) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    hours = int(inputs.get("validityPeriodHours", 24))
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(hours=hours))
    )
