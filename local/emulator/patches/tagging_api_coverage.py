"""The Resource Groups Tagging API finds egress-only internet gateways and VPC endpoints by tag.

Real AWS: GetResources returns tagged `ec2:egress-only-internet-gateway` and `ec2:vpc-endpoint` resources like any
other EC2 resource, so a teardown check that searches by tag sees them if they survive DeleteStack.
moto 5.2.1: GetResources did not know those two resource types, so a leftover gateway or endpoint was invisible to
the check; and GetResources failed with HTTP 500 as soon as any ECS cluster had no tags (it iterated `None`).
"""

EXTRA_EC2_TYPES = {
    "ec2:egress-only-internet-gateway": lambda ec2: ec2.egress_only_internet_gateways.values(),
    "ec2:vpc-endpoint": lambda ec2: ec2.vpc_end_points.values(),
}


def _matches(tags, tag_filters):
    """All filters must match: a filter's key must be present, with one of its values when it lists any."""
    for tag_filter in tag_filters or []:
        values = tag_filter.get("Values") or []
        if not any(k == tag_filter["Key"] and (not values or v in values) for k, v in tags.items()):
            return False
    return True


def apply():
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend

    original = ResourceGroupsTaggingAPIBackend._get_resources_generator

    def _get_resources_generator(self, tag_filters=None, resource_type_filters=None):
        for cluster in self.ecs_backend.clusters.values():
            cluster.tags = cluster.tags or []
        yield from original(self, tag_filters=tag_filters, resource_type_filters=resource_type_filters)
        ec2 = self.ec2_backend
        for resource_type, resources in EXTRA_EC2_TYPES.items():
            if resource_type_filters and "ec2" not in resource_type_filters and resource_type not in resource_type_filters:
                continue
            for resource in resources(ec2):
                tags = ec2.tags.get(resource.id, {})
                if not tags or not _matches(tags, tag_filters):
                    continue
                yield {
                    "ResourceARN": f"arn:{self.partition}:ec2:{self.region_name}:{self.account_id}:"
                    f"{resource_type.split(':', 1)[1]}/{resource.id}",
                    "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
                }

    ResourceGroupsTaggingAPIBackend._get_resources_generator = _get_resources_generator
