"""`AWS::EC2::SubnetRouteTableAssociation` really associates the subnet with the route table.

Real CloudFormation: DescribeRouteTables lists the subnet in the table's `Associations` (with an association id,
the resource's Ref), so the subnet's traffic follows that table; stack deletion disassociates it.
moto 5.2.1: the resource only recorded the pair in a side dictionary; the route table showed no association, so
a subnet appeared to use the VPC's main route table.
"""
from moto.core.common_models import CloudFormationModel


class CfnSubnetRouteTableAssociation(CloudFormationModel):
    def __init__(self, association_id, route_table_id, subnet_id):
        self.association_id = association_id
        self.route_table_id = route_table_id
        self.subnet_id = subnet_id

    @property
    def physical_resource_id(self):
        return self.association_id

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::EC2::SubnetRouteTableAssociation"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        from moto.ec2.models import ec2_backends

        props = cloudformation_json["Properties"]
        backend = ec2_backends[account_id][region_name]
        association_id = backend.associate_route_table(props["RouteTableId"], subnet_id=props["SubnetId"])
        return cls(association_id, props["RouteTableId"], props["SubnetId"])

    def delete(self, account_id, region_name):
        from moto.ec2.models import ec2_backends

        table = ec2_backends[account_id][region_name].route_tables.get(self.route_table_id)
        if table is not None:
            table._associations.pop(self.association_id, None)


def apply():
    from moto.cloudformation import parsing

    # Defining the class registered it as a CloudFormationModel subclass; the later definition wins the type.
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    assert parsing.get_model_map()["AWS::EC2::SubnetRouteTableAssociation"] is CfnSubnetRouteTableAssociation
