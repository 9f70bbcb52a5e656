"""`AWS::ECS::TaskDefinition` keeps its Fargate settings.

Real CloudFormation: DescribeTaskDefinition shows `cpu`, `memory`, `networkMode: awsvpc`,
`requiresCompatibilities: [FARGATE]`, the execution and task role ARNs and the runtime platform. Environment
values are strings (`"3000"`), also when they come from a Number parameter.
moto 5.2.1: the model passed only the family, container definitions, volumes and memory, so the task definition
came back as `networkMode: bridge` without cpu, compatibilities or roles, and an environment value taken from a
Number parameter came back as a JSON number.
"""


def _string_environment(containers):
    for container in containers:
        for variable in container.get("environment", []):
            if "value" in variable and not isinstance(variable["value"], str):
                variable["value"] = str(variable["value"])
    return containers


def apply():
    from moto.core.utils import pascal_to_camelcase, remap_nested_keys
    from moto.ecs.models import TaskDefinition, ecs_backends

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]

        def optional(name):
            return str(props[name]) if props.get(name) is not None else None

        return ecs_backends[account_id][region_name].register_task_definition(
            family=props.get("Family", resource_name),
            container_definitions=_string_environment(
                remap_nested_keys(props.get("ContainerDefinitions", []), pascal_to_camelcase)
            ),
            volumes=remap_nested_keys(props.get("Volumes", []), pascal_to_camelcase),
            network_mode=props.get("NetworkMode"),
            requires_compatibilities=props.get("RequiresCompatibilities"),
            cpu=optional("Cpu"),
            memory=optional("Memory"),
            task_role_arn=props.get("TaskRoleArn"),
            execution_role_arn=props.get("ExecutionRoleArn"),
            runtime_platform=remap_nested_keys(props.get("RuntimePlatform"), pascal_to_camelcase),
            ephemeral_storage=remap_nested_keys(props.get("EphemeralStorage"), pascal_to_camelcase),
        )

    TaskDefinition.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
