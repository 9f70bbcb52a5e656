"""`AWS::EC2::VPCCidrBlock` with `AmazonProvidedIpv6CidrBlock: true` gives the VPC an Amazon /56, readable with
`Fn::GetAtt VPC.Ipv6CidrBlocks`.

Real CloudFormation: the resource associates the block (visible in DescribeVpcs `Ipv6CidrBlockAssociationSet`),
and the VPC's `Ipv6CidrBlocks` attribute lists the associated IPv6 blocks.
moto 5.2.1: the resource type was unknown (skipped with a warning, no block associated) and `Ipv6CidrBlocks` was not
a supported attribute.
"""
from moto.core.common_models import CloudFormationModel


class VPCCidrBlock(CloudFormationModel):
    def __init__(self, vpc_id, association_id, ipv6, account_id, region_name):
        self.vpc_id = vpc_id
        self.association_id = association_id
        self.ipv6 = ipv6
        self.account_id = account_id
        self.region_name = region_name

    @property
    def physical_resource_id(self):
        return self.association_id

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::EC2::VPCCidrBlock"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        from moto.ec2.models import ec2_backends

        props = cloudformation_json["Properties"]
        amazon_ipv6 = str(props.get("AmazonProvidedIpv6CidrBlock", "false")).lower() == "true"
        backend = ec2_backends[account_id][region_name]
        association = backend.associate_vpc_cidr_block(
            props["VpcId"], props.get("CidrBlock") or props.get("Ipv6CidrBlock"), amazon_ipv6
        )
        return cls(props["VpcId"], association["association_id"], amazon_ipv6, account_id, region_name)

    def delete(self, account_id, region_name):
        from moto.ec2.models import ec2_backends

        backend = ec2_backends[account_id][region_name]
        if self.vpc_id in backend.vpcs:
            backend.disassociate_vpc_cidr_block(self.association_id)


def _vpc_get_cfn_attribute(original):
    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Ipv6CidrBlocks":
            return [a["cidr_block"] for a in self.get_cidr_block_association_set(ipv6=True)]
        return original(self, attribute_name)

    return get_cfn_attribute


def apply():
    from moto.cloudformation import parsing
    from moto.ec2.models.vpcs import VPC

    VPC.get_cfn_attribute = _vpc_get_cfn_attribute(VPC.get_cfn_attribute)
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
