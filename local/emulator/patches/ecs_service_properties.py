"""`AWS::ECS::Service` keeps `NetworkConfiguration`, `LoadBalancers`, `LaunchType`, `PlatformVersion` and
`PropagateTags`.

Real CloudFormation: DescribeServices shows the awsvpc configuration (subnets, security groups,
`assignPublicIp: DISABLED`), the target group binding and `launchType: FARGATE`.
moto 5.2.1: the model passed only cluster, name, desired count and task definition (its source says
"TODO: LoadBalancers"), so `networkConfiguration` and `loadBalancers` came back empty and the launch type was EC2.
"""


def _camel(value):
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _name(value, attribute):
    return getattr(value, attribute) if hasattr(value, attribute) else value


def apply():
    from moto.ecs.models import Service, ecs_backends

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        network = _camel(props.get("NetworkConfiguration")) if props.get("NetworkConfiguration") else None
        return ecs_backends[account_id][region_name].create_service(
            _name(props["Cluster"], "name"),
            resource_name,
            props.get("DesiredCount"),
            task_definition_str=_name(props["TaskDefinition"], "family"),
            load_balancers=_camel(props.get("LoadBalancers", [])),
            launch_type=props.get("LaunchType"),
            platform_version=props.get("PlatformVersion"),
            propagate_tags=props.get("PropagateTags", "NONE"),
            network_configuration=network,
            service_registries=_camel(props.get("ServiceRegistries", [])),
        )

    Service.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
