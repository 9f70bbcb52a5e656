"""Stack-level tags and each resource's `Tags` property reach the resources CloudFormation creates.

Real CloudFormation: tags given to CreateStack propagate to every taggable resource in the stack and to nested
stacks (and so to their resources); a resource's own `Tags` are applied too. The Resource Groups Tagging API then
finds them all by tag.
moto 5.2.1: stack tags reached only EC2 resources of the top-level stack; nested stacks were created without tags;
the `Tags` property of ELBv2 load balancers/target groups/listeners and ECS clusters/services/task definitions was
ignored, so those resources were invisible to a tag search.
"""


def _user_tags(tags):
    return {k: v for k, v in (tags or {}).items() if not k.startswith("aws:")}


def tag_resource(resource, resource_type, tags, account_id, region_name):
    """Applies tags ({key: value}) to a resource created from a template, through its service's own tag store."""
    if not tags or resource is None:
        return
    if resource_type.startswith("AWS::ElasticLoadBalancingV2::"):
        from moto.elbv2.models import elbv2_backends

        elbv2_backends[account_id][region_name].add_tags(
            [resource.arn], [{"Key": k, "Value": v} for k, v in tags.items()]
        )
    elif resource_type in ("AWS::ECS::Cluster", "AWS::ECS::Service", "AWS::ECS::TaskDefinition"):
        existing = {t["key"]: t["value"] for t in (resource.tags or [])}
        existing.update(tags)
        resource.tags = [{"key": k, "value": v} for k, v in existing.items()]
    elif resource_type == "AWS::Logs::LogGroup":
        from moto.logs.models import logs_backends

        logs_backends[account_id][region_name].tag_resource(resource.arn, dict(tags))
    elif resource_type == "AWS::IAM::Role":
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        iam_backends[account_id][get_partition(region_name)].tag_role(
            resource.name, [{"Key": k, "Value": v} for k, v in tags.items()]
        )


def apply():
    from moto.cloudformation import parsing
    from moto.cloudformation.models import Stack, cloudformation_backends

    original_create = parsing.parse_and_create_resource

    def parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
        resource = original_create(logical_id, resource_json, resources_map, account_id, region_name)
        if resource is not None:
            own = parsing.clean_json(resource_json.get("Properties", {}).get("Tags", []), resources_map)
            tags = _user_tags(resources_map.tags)
            if isinstance(own, list):
                tags.update({t["Key"]: t["Value"] for t in own if isinstance(t, dict) and "Key" in t})
            tag_resource(resource, resource_json["Type"], tags, account_id, region_name)
        return resource

    parsing.parse_and_create_resource = parse_and_create_resource

    def create_nested_stack(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        from moto.cloudformation.utils import get_stack_from_s3_url
        from moto.utilities.utils import get_partition

        backend = cloudformation_backends[account_id][region_name]
        props = cloudformation_json["Properties"]
        parent = backend.stacks.get(kwargs.get("StackId", ""))
        tags = _user_tags(parent.tags if parent else {})
        tags.update({t["Key"]: t["Value"] for t in props.get("Tags", [])})
        template = get_stack_from_s3_url(props["TemplateURL"], account_id=account_id, partition=get_partition(region_name))
        return backend.create_stack(
            name=resource_name, template=template, parameters=props.get("Parameters", {}), tags=tags
        )

    Stack.create_from_cloudformation_json = classmethod(create_nested_stack)
