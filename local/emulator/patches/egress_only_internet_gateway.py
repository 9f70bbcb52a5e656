"""`AWS::EC2::EgressOnlyInternetGateway` creates an egress-only internet gateway.

Real CloudFormation: the gateway appears in DescribeEgressOnlyInternetGateways attached to the VPC, and its Ref is
its id (`eigw-...`), usable as a route's `EgressOnlyInternetGatewayId`; stack deletion deletes it.
moto 5.2.1: the resource type was unknown (skipped with a warning), so nothing was created and routes to it failed.
"""
from moto.core.common_models import CloudFormationModel
from moto.ec2.models.internet_gateways import EgressOnlyInternetGateway


class CfnEgressOnlyInternetGateway(EgressOnlyInternetGateway, CloudFormationModel):
    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::EC2::EgressOnlyInternetGateway"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        from moto.ec2.exceptions import InvalidVPCIdError
        from moto.ec2.models import ec2_backends

        props = cloudformation_json["Properties"]
        backend = ec2_backends[account_id][region_name]
        if not backend.get_vpc(props["VpcId"]):
            raise InvalidVPCIdError(props["VpcId"])
        tags = {t["Key"]: t["Value"] for t in props.get("Tags", [])}
        gateway = cls(backend, props["VpcId"], tags)
        backend.egress_only_internet_gateways[gateway.id] = gateway
        return gateway

    def get_cfn_attribute(self, attribute_name):
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "Id":
            return self.id
        raise UnformattedGetAttTemplateException()

    def delete(self, account_id, region_name):
        self.ec2_backend.egress_only_internet_gateways.pop(self.id, None)


def apply():
    from moto.cloudformation import parsing

    assert CfnEgressOnlyInternetGateway in CloudFormationModel.__subclasses__()
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
