"""`AWS::EC2::Route` with `DestinationIpv6CidrBlock` (e.g. `::/0`) keeps its destination and target.

Real CloudFormation: DescribeRouteTables shows the route with `DestinationIpv6CidrBlock: ::/0` and its
`GatewayId` or `EgressOnlyInternetGatewayId`.
moto 5.2.1: the route model read only `DestinationCidrBlock`, so an IPv6 route came back with no destination.
"""


def apply():
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.route_tables import Route

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        return ec2_backends[account_id][region_name].create_route(
            route_table_id=props["RouteTableId"],
            destination_cidr_block=props.get("DestinationCidrBlock"),
            destination_ipv6_cidr_block=props.get("DestinationIpv6CidrBlock"),
            destination_prefix_list_id=props.get("DestinationPrefixListId"),
            gateway_id=props.get("GatewayId"),
            instance_id=props.get("InstanceId"),
            nat_gateway_id=props.get("NatGatewayId"),
            egress_only_igw_id=props.get("EgressOnlyInternetGatewayId"),
            transit_gateway_id=props.get("TransitGatewayId"),
            interface_id=props.get("NetworkInterfaceId"),
            vpc_peering_connection_id=props.get("VpcPeeringConnectionId"),
            carrier_gateway_id=props.get("CarrierGatewayId"),
            vpc_endpoint_id=props.get("VpcEndpointId"),
        )

    Route.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
