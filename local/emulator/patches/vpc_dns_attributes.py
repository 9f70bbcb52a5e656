"""A VPC's `EnableDnsSupport` and `EnableDnsHostnames` are applied.

Real CloudFormation: DescribeVpcAttribute shows both as set in the template (interface endpoints with private DNS
need both true).
moto 5.2.1: `AWS::EC2::VPC` read only CidrBlock, InstanceTenancy and Tags, so DNS hostnames stayed off.
"""


def apply():
    from moto.ec2.models.vpcs import VPC

    original = VPC.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        vpc = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        props = cloudformation_json["Properties"]
        for prop, attribute in (("EnableDnsSupport", "enable_dns_support"), ("EnableDnsHostnames", "enable_dns_hostnames")):
            if prop in props:
                setattr(vpc, attribute, str(props[prop]).lower() == "true")
        return vpc

    VPC.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
