"""A subnet's `Ipv6CidrBlock`, `AssignIpv6AddressOnCreation` and `MapPublicIpOnLaunch` are applied.

Real CloudFormation: DescribeSubnets shows the /64 in `Ipv6CidrBlockAssociationSet` and both flags as set.
moto 5.2.1: `AWS::EC2::Subnet` read only VpcId, CidrBlock, AvailabilityZone and Tags; the IPv6 block and both flags
were ignored, and any subnet IPv6 association's state was serialized as the text of a dict.
"""


def _truthy(value):
    return str(value).lower() == "true"


def apply():
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.subnets import Subnet

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        subnet = ec2_backends[account_id][region_name].create_subnet(
            vpc_id=props["VpcId"],
            cidr_block=props.get("CidrBlock"),
            ipv6_cidr_block=props.get("Ipv6CidrBlock"),
            availability_zone=props.get("AvailabilityZone"),
            ipv6_native=_truthy(props.get("Ipv6Native", False)),
        )
        subnet.assign_ipv6_address_on_creation = _truthy(props.get("AssignIpv6AddressOnCreation", False))
        subnet.map_public_ip_on_launch = _truthy(props.get("MapPublicIpOnLaunch", False))
        for tag in props.get("Tags", []):
            subnet.add_tag(tag["Key"], tag["Value"])
        return subnet

    Subnet.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)

    def ipv6_cidr_block_association_set(self):
        return [
            {
                "ipv6CidrBlock": a["ipv6CidrBlock"],
                "associationId": a["associationId"],
                "ipv6CidrBlockState": {"state": a["ipv6CidrBlockState"]["State"]},
            }
            for a in self.ipv6_cidr_block_associations.values()
            if a["ipv6CidrBlockState"]["State"] == "associated"
        ]

    Subnet.ipv6_cidr_block_association_set = property(ipv6_cidr_block_association_set)
