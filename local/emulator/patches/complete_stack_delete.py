"""Deleting a stack deletes every resource it created, nested stacks included.

Real CloudFormation: DeleteStack removes all resources (routes, associations, gateways, endpoints, listeners,
target groups, ECS services, clusters and task definitions...) in reverse dependency order, so the VPC can go too;
nothing tagged with the stack's tags remains.
moto 5.2.1: many resource types had no delete at all (internet gateway attachments, route tables and their
associations, VPC endpoints, ELBv2 target groups and listeners, ECS clusters/services/task definitions), and the
VPC's own delete then failed on the leftovers, silently: a parent reported DELETE_COMPLETE while the network
child's VPC and the ECS cluster remained. A stack whose deletion did fail vanished from DescribeStacks (and the
DeleteStack call returned an error) instead of staying DELETE_FAILED for a retry.
"""
from moto.elbv2.exceptions import ListenerNotFoundError


def _ec2(account_id, region_name):
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region_name]


def _elbv2(account_id, region_name):
    from moto.elbv2.models import elbv2_backends

    return elbv2_backends[account_id][region_name]


def _ecs(account_id, region_name):
    from moto.ecs.models import ecs_backends

    return ecs_backends[account_id][region_name]


def _delete_gateway_attachment(resource, account_id, region_name):
    ec2 = _ec2(account_id, region_name)
    if resource.gateway_id.startswith("igw-"):
        ec2.detach_internet_gateway(resource.gateway_id, resource.vpc_id)
    else:
        ec2.detach_vpn_gateway(resource.gateway_id, resource.vpc_id)


def _delete_route(resource, account_id, region_name):
    ec2 = _ec2(account_id, region_name)
    if resource.route_table.id in ec2.route_tables:
        ec2.delete_route(
            resource.route_table.id, resource.destination_cidr_block, resource.destination_ipv6_cidr_block
        )


def _delete_vpc_endpoint(resource, account_id, region_name):
    ec2 = _ec2(account_id, region_name)
    resource.route_table_ids = [t for t in resource.route_table_ids or [] if t in ec2.route_tables]
    resource.network_interface_ids = resource.network_interface_ids or []
    ec2.delete_vpc_endpoints([resource.id])
    ec2.vpc_end_points.pop(resource.id, None)


def _unless_gone(delete, not_found):
    """Real CloudFormation treats a resource that is already gone (e.g. a listener deleted with its load balancer)
    as deleted."""

    def run(resource, account_id, region_name):
        try:
            delete(resource, account_id, region_name)
        except not_found:
            pass

    return run


def _delete_ecs_service(resource, account_id, region_name):
    ecs = _ecs(account_id, region_name)
    ecs.delete_service(resource.cluster_name, resource.name, force=True)
    ecs.services.pop(f"{resource.cluster_name}:{resource.name}", None)


def _delete_ecs_cluster(resource, account_id, region_name):
    ecs = _ecs(account_id, region_name)
    if any(s.cluster_name == resource.name for s in ecs.services.values()):
        raise RuntimeError(f"cluster {resource.name} still has services")
    ecs.clusters.pop(resource.name, None)


def _delete_task_definition(resource, account_id, region_name):
    ecs = _ecs(account_id, region_name)
    ecs.deregister_task_definition(resource.arn)
    ecs.task_definitions.get(resource.family, {}).pop(resource.revision, None)


DELETERS = {
    "AWS::EC2::VPCGatewayAttachment": _delete_gateway_attachment,
    "AWS::EC2::InternetGateway": lambda r, a, g: _ec2(a, g).delete_internet_gateway(r.id),
    "AWS::EC2::RouteTable": lambda r, a, g: _ec2(a, g).delete_route_table(r.id),
    "AWS::EC2::Route": _delete_route,
    "AWS::EC2::VPCEndpoint": _delete_vpc_endpoint,
    "AWS::EC2::SecurityGroupIngress": lambda r, a, g: None,  # goes with its group
    "AWS::ElasticLoadBalancingV2::Listener": _unless_gone(
        lambda r, a, g: _elbv2(a, g).delete_listener(r.arn), ListenerNotFoundError
    ),
    "AWS::ElasticLoadBalancingV2::TargetGroup": lambda r, a, g: _elbv2(a, g).delete_target_group(r.arn),
    "AWS::ECS::Service": _delete_ecs_service,
    "AWS::ECS::Cluster": _delete_ecs_cluster,
    "AWS::ECS::TaskDefinition": _delete_task_definition,
}


def apply():
    from moto.cloudformation import parsing
    from moto.cloudformation.models import CloudFormationBackend

    original = parsing.ResourceMap._delete_resource

    def _delete_resource(self, parsed_resource, resource_json):
        deleter = DELETERS.get(resource_json["Type"])
        if deleter is None:
            return original(self, parsed_resource, resource_json)
        return deleter(parsed_resource, self._account_id, self._region_name)

    parsing.ResourceMap._delete_resource = _delete_resource

    original_delete_stack = CloudFormationBackend.delete_stack

    def delete_stack(self, name_or_stack_id):
        """A stack whose resources could not all be deleted stays listed as DELETE_FAILED (moto dropped it), so a
        parent deleting its nested stacks retries it, and a later DeleteStack can try again."""
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None
        )
        try:
            original_delete_stack(self, name_or_stack_id)
        except Exception as error:
            if stack is not None:
                self.stacks[stack.stack_id] = stack
                stack.status = "DELETE_FAILED"
                stack._add_stack_event("DELETE_FAILED", resource_status_reason=str(error)[:500])
            raise

    CloudFormationBackend.delete_stack = delete_stack

    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import EmptyResult

    def delete_stack_action(self):
        """DeleteStack itself succeeds; a failure shows as DELETE_FAILED, as on AWS."""
        name_or_stack_id = self._get_param("StackName")
        try:
            self.cloudformation_backend.delete_stack(name_or_stack_id)
        except Exception:
            stacks = self.cloudformation_backend.stacks.values()
            if not any(s.status == "DELETE_FAILED" and name_or_stack_id in (s.name, s.stack_id) for s in stacks):
                raise
        return EmptyResult()

    CloudFormationResponse.delete_stack = delete_stack_action
