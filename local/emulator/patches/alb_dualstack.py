"""`AWS::ElasticLoadBalancingV2::LoadBalancer` keeps `IpAddressType`, `Type` and `LoadBalancerAttributes`.

Real CloudFormation: DescribeLoadBalancers shows `IpAddressType: dualstack` for a dual-stack ALB, and the
attributes (e.g. `idle_timeout.timeout_seconds`) are set.
moto 5.2.1: the model passed only the name, subnets, security groups and scheme, so every load balancer was
`ipv4` and the attributes were dropped.
"""


def apply():
    from moto.elbv2.models import FakeLoadBalancer, elbv2_backends

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = elbv2_backends[account_id][region_name]
        load_balancer = backend.create_load_balancer(
            resource_name,
            props.get("SecurityGroups") or [],
            props.get("Subnets") or [],
            subnet_mappings=props.get("SubnetMappings"),
            scheme=props.get("Scheme", "internet-facing"),
            loadbalancer_type=props.get("Type", "application"),
            ip_address_type=props.get("IpAddressType", "ipv4"),
        )
        attributes = {a["Key"]: a["Value"] for a in props.get("LoadBalancerAttributes", [])}
        if attributes:
            backend.modify_load_balancer_attributes(load_balancer.arn, attributes)
        return load_balancer

    FakeLoadBalancer.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
