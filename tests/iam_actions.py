"""The AWS permissions behind each resource type the program registers and each data source it calls.

pulumi-aws bridges terraform-provider-aws: a resource type's create, read, update and delete, and a data
source's read, are that provider's Go functions, and the AWS API calls they make are what the deployer's
IAM policy must allow (docs/iam/deployer-policy.json). Each entry names the file of
github.com/hashicorp/terraform-provider-aws (v6, which pulumi-aws 7 bridges) whose functions make the
calls, and lists them as IAM actions: an API call's action is its name, except where the Service
Authorization Reference names it otherwise (S3 above all: HeadBucket is s3:ListBucket,
GetBucketLifecycleConfiguration s3:GetLifecycleConfiguration, DeletePublicAccessBlock
s3:PutBucketPublicAccessBlock, DeleteObjects s3:DeleteObject and s3:DeleteObjectVersion ...).

`read` is what a resource's Read calls: every `--refresh`, and the read that ends each create and
update. `change` is what its create, update and delete call beyond that (waiters included), for the
arguments this program sets and the updates its settings can cause. Creating with tags needs the
service's tagging action too (ec2:CreateTags, elasticloadbalancing:AddTags, iam:TagRole ...).

tests/test_permissions.py runs the program under the mocks over configurations that switch on every
optional feature, and fails when it registers a type or calls a data source this table does not know,
or when a policy in docs/iam/ lacks an action the table requires.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permissions:
    source: str  # where in terraform-provider-aws the calls are made
    read: tuple[str, ...] = ()
    change: tuple[str, ...] = ()

    @property
    def all(self) -> frozenset[str]:
        return frozenset(self.read) | frozenset(self.change)


# Types that call no AWS API: other providers, the program's own components, and provider resources
# (whose configuration is PROVIDER below).
NO_AWS_PERMISSION = ("command:", "tls:", "pulumi:providers:", "pulumi:pulumi:", "kubeadm-aws:index:")

# Every AWS provider, when it is configured: the credentials check and the account id
# (internal/conns/config.go, through aws-sdk-go-base's GetAwsAccountIDAndPartition). STS answers it
# whatever the policy says; it is listed so that the policies say what is called.
PROVIDER = ("sts:GetCallerIdentity",)

# Actions a read-only policy may hold although the rule "Describe, Get or List" does not cover them (none
# yet: both PROVIDER and the Price List's action start with Get). Keep it small.
READ_ONLY_EXTRA: frozenset[str] = frozenset()

EC2_TAGS = ("ec2:CreateTags", "ec2:DeleteTags")  # tagging on create (TagSpecifications) and tag updates
ELB_TAGS = ("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags")

RESOURCES: dict[str, Permissions] = {
    # --- EC2 and VPC -------------------------------------------------------------------------------
    "aws:ec2/vpc:Vpc": Permissions(
        # resourceVPCRead: findVPCByID, findVPCAttribute (DNS support, DNS hostnames, address usage
        # metrics), findVPCDefaultNetworkACL, findVPCMainRouteTable, findVPCDefaultSecurityGroup.
        "internal/service/ec2/vpc_.go",
        read=(
            "ec2:DescribeVpcs",
            "ec2:DescribeVpcAttribute",
            "ec2:DescribeNetworkAcls",
            "ec2:DescribeRouteTables",
            "ec2:DescribeSecurityGroups",
        ),
        change=("ec2:CreateVpc", "ec2:ModifyVpcAttribute", "ec2:DeleteVpc", *EC2_TAGS),
    ),  # fmt: skip
    "aws:ec2/internetGateway:InternetGateway": Permissions(
        "internal/service/ec2/vpc_internet_gateway.go",
        read=("ec2:DescribeInternetGateways",),
        change=(
            "ec2:CreateInternetGateway",
            "ec2:AttachInternetGateway",
            "ec2:DetachInternetGateway",
            "ec2:DeleteInternetGateway",
            *EC2_TAGS,
        ),
    ),  # fmt: skip
    "aws:ec2/routeTable:RouteTable": Permissions(
        # Inline routes: CreateRoute, ReplaceRoute, DeleteRoute; delete disassociates first.
        "internal/service/ec2/vpc_route_table.go",
        read=("ec2:DescribeRouteTables",),
        change=(
            "ec2:CreateRouteTable",
            "ec2:CreateRoute",
            "ec2:ReplaceRoute",
            "ec2:DeleteRoute",
            "ec2:DisassociateRouteTable",
            "ec2:DeleteRouteTable",
            *EC2_TAGS,
        ),
    ),  # fmt: skip
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Permissions(
        "internal/service/ec2/vpc_route_table_association.go",
        read=("ec2:DescribeRouteTables",),
        change=("ec2:AssociateRouteTable", "ec2:ReplaceRouteTableAssociation", "ec2:DisassociateRouteTable"),
    ),
    "aws:ec2/subnet:Subnet": Permissions(
        # map_public_ip_on_launch: ModifySubnetAttribute after CreateSubnet; delete looks for lingering
        # network interfaces first (deleteLingeringENIs, vpc_network_interface.go).
        "internal/service/ec2/vpc_subnet.go",
        read=("ec2:DescribeSubnets",),
        change=(
            "ec2:CreateSubnet",
            "ec2:ModifySubnetAttribute",
            "ec2:DeleteSubnet",
            "ec2:DescribeNetworkInterfaces",
            *EC2_TAGS,
        ),
    ),  # fmt: skip
    "aws:ec2/securityGroup:SecurityGroup": Permissions(
        # Create revokes AWS's default allow-all egress rule; delete looks for lingering network
        # interfaces first (deleteLingeringENIs).
        "internal/service/ec2/vpc_security_group.go",
        read=("ec2:DescribeSecurityGroups",),
        change=(
            "ec2:CreateSecurityGroup",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:DeleteSecurityGroup",
            "ec2:DescribeNetworkInterfaces",
            *EC2_TAGS,
        ),
    ),  # fmt: skip
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Permissions(
        # The rule resources' shared code (securityGroupRuleResource) is in this file; updates in place
        # are ModifySecurityGroupRules. The program tags no rule.
        "internal/service/ec2/vpc_security_group_ingress_rule.go",
        read=("ec2:DescribeSecurityGroupRules",),
        change=("ec2:AuthorizeSecurityGroupIngress", "ec2:ModifySecurityGroupRules", "ec2:RevokeSecurityGroupIngress"),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Permissions(
        "internal/service/ec2/vpc_security_group_egress_rule.go",
        read=("ec2:DescribeSecurityGroupRules",),
        change=("ec2:AuthorizeSecurityGroupEgress", "ec2:ModifySecurityGroupRules", "ec2:RevokeSecurityGroupEgress"),
    ),
    "aws:ec2/tag:Tag": Permissions(
        # aws_ec2_tag (the cloud controller's tag on an existing subnet): read is DescribeTags.
        "internal/service/ec2/tag.go",
        read=("ec2:DescribeTags",),
        change=EC2_TAGS,
    ),
    "aws:ec2/keyPair:KeyPair": Permissions(
        "internal/service/ec2/ec2_key_pair.go",
        read=("ec2:DescribeKeyPairs",),
        change=("ec2:ImportKeyPair", "ec2:DeleteKeyPair", *EC2_TAGS),
    ),
    "aws:ec2/eip:Eip": Permissions(
        # Read: findEIPByAllocationID and findEIPDomainNameAttributeByAllocationID (ptr_record). Delete
        # disassociates first when the state records an association.
        "internal/service/ec2/ec2_eip.go",
        read=("ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute"),
        change=("ec2:AllocateAddress", "ec2:DisassociateAddress", "ec2:ReleaseAddress", *EC2_TAGS),
    ),
    "aws:ec2/eipAssociation:EipAssociation": Permissions(
        "internal/service/ec2/ec2_eip_association.go",
        read=("ec2:DescribeAddresses",),
        change=("ec2:AssociateAddress", "ec2:DisassociateAddress"),
    ),
    "aws:ec2/instance:Instance": Permissions(
        # resourceInstanceRead: findInstanceByID, findInstanceTypeByName (burstable?), the launch-template
        # tag lookup (DescribeTags), readBlockDevices (DescribeVolumes), DescribeInstanceAttribute
        # (disableApiStop, disableApiTermination, userData, shutdown behavior),
        # findInstanceCreditSpecificationByID (t3), findSpotInstanceRequest (Spot workers).
        # Create: buildInstanceOpts reads the AMI's root device (DescribeImages), RunInstances with tags
        # and the instance profile (iam:PassRole), waitInstanceCreated. Updates the settings can cause:
        # instance type (stop, ModifyInstanceAttribute, start), the control planes' extra security group
        # (ModifyNetworkInterfaceAttribute), the metadata hop limit, the root volume's size and tags
        # (ModifyVolume, waitVolumeModificationComplete), the instance profile (Associate, Replace or
        # Disassociate). Delete: ModifyInstanceAttribute (API termination off), TerminateInstances.
        # A first Spot request in an account creates the AWSServiceRoleForEC2Spot service-linked role
        # (EC2 User Guide, "Service-linked role for Spot Instance requests").
        "internal/service/ec2/ec2_instance.go",
        read=(
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeTags",
            "ec2:DescribeVolumes",
            "ec2:DescribeInstanceAttribute",
            "ec2:DescribeInstanceCreditSpecifications",
            "ec2:DescribeSpotInstanceRequests",
        ),
        change=(
            "ec2:DescribeImages",
            "ec2:RunInstances",
            "iam:PassRole",
            "iam:CreateServiceLinkedRole",
            "ec2:ModifyInstanceAttribute",
            "ec2:StopInstances",
            "ec2:StartInstances",
            "ec2:ModifyNetworkInterfaceAttribute",
            "ec2:ModifyInstanceMetadataOptions",
            "ec2:ModifyVolume",
            "ec2:DescribeVolumesModifications",
            "ec2:DescribeIamInstanceProfileAssociations",
            "ec2:AssociateIamInstanceProfile",
            "ec2:ReplaceIamInstanceProfileAssociation",
            "ec2:DisassociateIamInstanceProfile",
            "ec2:TerminateInstances",
            *EC2_TAGS,
        ),
    ),  # fmt: skip
    "aws:ec2transitgateway/instanceState:InstanceState": Permissions(
        # aws_ec2_instance_state: read is findInstanceStateByID (DescribeInstanceStatus with
        # IncludeAllInstances); create and update wait on DescribeInstances, then stop or start. Delete
        # calls nothing.
        "internal/service/ec2/ec2_instance_state.go",
        read=("ec2:DescribeInstanceStatus",),
        change=("ec2:DescribeInstances", "ec2:StopInstances", "ec2:StartInstances"),
    ),
    # --- Elastic Load Balancing (controlPlaneCount > 1) ---------------------------------------------
    "aws:lb/loadBalancer:LoadBalancer": Permissions(
        # Read: findLoadBalancerByARN, DescribeLoadBalancerAttributes, the capacity reservation
        # (minimum_load_balancer_capacity), tags (DescribeTags). Create: CreateLoadBalancer with tags,
        # ModifyLoadBalancerAttributes (cross-zone). Updates: attributes, security groups, subnets.
        # Delete waits for the load balancer's network interfaces to go (DescribeNetworkInterfaces). The
        # first load balancer of an account creates AWSServiceRoleForElasticLoadBalancing.
        "internal/service/elbv2/load_balancer.go",
        read=(
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeCapacityReservation",
            "elasticloadbalancing:DescribeTags",
        ),
        change=(
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:DeleteLoadBalancer",
            "ec2:DescribeNetworkInterfaces",
            "iam:CreateServiceLinkedRole",
            *ELB_TAGS,
        ),
    ),  # fmt: skip
    "aws:lb/targetGroup:TargetGroup": Permissions(
        # Create: CreateTargetGroup with tags, then ModifyTargetGroupAttributes (deregistration delay,
        # preserve_client_ip); health-check changes are ModifyTargetGroup.
        "internal/service/elbv2/target_group.go",
        read=(
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTags",
        ),
        change=(
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:DeleteTargetGroup",
            *ELB_TAGS,
        ),
    ),  # fmt: skip
    "aws:lb/listener:Listener": Permissions(
        # Read: findListenerByARN, the listener attributes (tcp_idle_timeout_seconds), tags.
        "internal/service/elbv2/listener.go",
        read=(
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeTags",
        ),
        change=(
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyListenerAttributes",
            "elasticloadbalancing:DeleteListener",
        ),
    ),  # fmt: skip
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": Permissions(
        "internal/service/elbv2/target_group_attachment.go",
        read=("elasticloadbalancing:DescribeTargetHealth",),
        change=("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"),
    ),
    # --- IAM: the nodes' roles ------------------------------------------------------------------------
    "aws:iam/role:Role": Permissions(
        # Read: findRoleByName, the inline policies (ListRolePolicies, GetRolePolicy) and the attached
        # ones (ListAttachedRolePolicies). Create with tags (TagRole). Delete (deleteRole): removes the role
        # from its instance profiles and deletes the inline policies a refresh recorded, then DeleteRole.
        "internal/service/iam/role.go",
        read=("iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"),
        change=(
            "iam:CreateRole",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateRoleDescription",
            "iam:UpdateAssumeRolePolicy",
            "iam:ListInstanceProfilesForRole",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:DeleteRolePolicy",
            "iam:DeleteRole",
        ),
    ),  # fmt: skip
    "aws:iam/instanceProfile:InstanceProfile": Permissions(
        # Read: findInstanceProfileByName, and GetRole of its role (a role deleted outside is removed
        # from the profile). AddRoleToInstanceProfile needs iam:PassRole on the role (IAM API Reference).
        "internal/service/iam/instance_profile.go",
        read=("iam:GetInstanceProfile", "iam:GetRole"),
        change=(
            "iam:CreateInstanceProfile",
            "iam:TagInstanceProfile",
            "iam:UntagInstanceProfile",
            "iam:AddRoleToInstanceProfile",
            "iam:PassRole",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:DeleteInstanceProfile",
        ),
    ),  # fmt: skip
    "aws:iam/rolePolicy:RolePolicy": Permissions(
        "internal/service/iam/role_policy.go",
        read=("iam:GetRolePolicy",),
        change=("iam:PutRolePolicy", "iam:DeleteRolePolicy"),
    ),
    # --- S3: the etcd snapshot bucket -------------------------------------------------------------------
    "aws:s3/bucket:Bucket": Permissions(
        # resourceBucketRead: findBucket (HeadBucket), then each legacy attribute's Get: policy, ACL,
        # CORS, website, versioning, accelerate, request payment, logging, lifecycle, replication,
        # encryption, object lock, tags. Create: CreateBucket, tags. Delete with force_destroy (not with
        # keepBackupsOnDestroy, which retains the bucket) empties it first (emptyBucket in delete.go:
        # ListObjectVersions, DeleteObjects of versions and delete markers).
        "internal/service/s3/bucket.go",
        read=(
            "s3:ListBucket",
            "s3:GetBucketPolicy",
            "s3:GetBucketAcl",
            "s3:GetBucketCORS",
            "s3:GetBucketWebsite",
            "s3:GetBucketVersioning",
            "s3:GetAccelerateConfiguration",
            "s3:GetBucketRequestPayment",
            "s3:GetBucketLogging",
            "s3:GetLifecycleConfiguration",
            "s3:GetReplicationConfiguration",
            "s3:GetEncryptionConfiguration",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetBucketTagging",
        ),
        change=(
            "s3:CreateBucket",
            "s3:PutBucketTagging",
            "s3:ListBucketVersions",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            "s3:DeleteBucket",
        ),
    ),  # fmt: skip
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Permissions(
        # DeletePublicAccessBlock is authorized as s3:PutBucketPublicAccessBlock.
        "internal/service/s3/bucket_public_access_block.go",
        read=("s3:GetBucketPublicAccessBlock",),
        change=("s3:PutBucketPublicAccessBlock",),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Permissions(
        # DeleteBucketOwnershipControls is authorized as s3:PutBucketOwnershipControls.
        "internal/service/s3/bucket_ownership_controls.go",
        read=("s3:GetBucketOwnershipControls",),
        change=("s3:PutBucketOwnershipControls",),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Permissions(
        # PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption.
        "internal/service/s3/bucket_server_side_encryption_configuration.go",
        read=("s3:GetEncryptionConfiguration",),
        change=("s3:PutEncryptionConfiguration",),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": Permissions(
        # Delete suspends versioning (PutBucketVersioning).
        "internal/service/s3/bucket_versioning.go",
        read=("s3:GetBucketVersioning",),
        change=("s3:PutBucketVersioning",),
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Permissions(
        # PutBucketLifecycleConfiguration and DeleteBucketLifecycle are s3:PutLifecycleConfiguration;
        # create and update wait until GetBucketLifecycleConfiguration answers the new rules.
        "internal/service/s3/bucket_lifecycle_configuration.go",
        read=("s3:GetLifecycleConfiguration",),
        change=("s3:PutLifecycleConfiguration",),
    ),
    "aws:s3/bucketPolicy:BucketPolicy": Permissions(
        "internal/service/s3/bucket_policy.go",
        read=("s3:GetBucketPolicy",),
        change=("s3:PutBucketPolicy", "s3:DeleteBucketPolicy"),
    ),
}

# Data sources (invokes) run whenever the program does, in every `pulumi preview` and `pulumi up`, the
# pull-request preview's included: these reads are what the preview role needs.
DATA_SOURCES: dict[str, Permissions] = {
    "aws:ec2/getAmi:getAmi": Permissions("internal/service/ec2/ec2_ami_data_source.go", read=("ec2:DescribeImages",)),
    "aws:ec2/getAmiIds:getAmiIds": Permissions(
        "internal/service/ec2/ec2_ami_ids_data_source.go", read=("ec2:DescribeImages",)
    ),
    "aws:ec2/getInstance:getInstance": Permissions(
        # dataSourceInstanceRead: findInstance, findInstanceTypeByName, readBlockDevices (DescribeVolumes),
        # DescribeInstanceAttribute (disableApiStop, disableApiTermination, userData),
        # findInstanceCreditSpecificationByID (burstable types).
        "internal/service/ec2/ec2_instance_data_source.go",
        read=(
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeVolumes",
            "ec2:DescribeInstanceAttribute",
            "ec2:DescribeInstanceCreditSpecifications",
        ),
    ),  # fmt: skip
    "aws:ec2/getInstances:getInstances": Permissions(
        "internal/service/ec2/ec2_instances_data_source.go", read=("ec2:DescribeInstances",)
    ),
    "aws:ec2/getInstanceType:getInstanceType": Permissions(
        "internal/service/ec2/ec2_instance_type_data_source.go", read=("ec2:DescribeInstanceTypes",)
    ),
    "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": Permissions(
        "internal/service/ec2/ec2_instance_type_offerings_data_source.go", read=("ec2:DescribeInstanceTypeOfferings",)
    ),
    "aws:ec2/getSubnet:getSubnet": Permissions(
        "internal/service/ec2/vpc_subnet_data_source.go", read=("ec2:DescribeSubnets",)
    ),
    "aws:ec2/getSubnets:getSubnets": Permissions(
        "internal/service/ec2/vpc_subnets_data_source.go", read=("ec2:DescribeSubnets",)
    ),
    "aws:ec2/getVpc:getVpc": Permissions(
        # findVPC, findVPCAttribute (three attributes), findVPCMainRouteTable.
        "internal/service/ec2/vpc_data_source.go",
        read=("ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeRouteTables"),
    ),
    "aws:ec2/getVpcs:getVpcs": Permissions("internal/service/ec2/vpc_vpcs_data_source.go", read=("ec2:DescribeVpcs",)),
    "aws:index/getAvailabilityZones:getAvailabilityZones": Permissions(
        "internal/service/ec2/ec2_availability_zones_data_source.go", read=("ec2:DescribeAvailabilityZones",)
    ),
    # The provider's own region, from the SDK's endpoint metadata: no API call.
    "aws:index/getRegion:getRegion": Permissions("internal/service/meta/region_data_source.go"),
    "aws:pricing/getProduct:getProduct": Permissions(
        "internal/service/pricing/product_data_source.go", read=("pricing:GetProducts",)
    ),
}
