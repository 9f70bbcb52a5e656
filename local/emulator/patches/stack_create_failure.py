"""A resource that fails to create leaves the stack `CREATE_FAILED`, with the cause in DescribeStackEvents.

Real CloudFormation: CreateStack returns a stack id at once; when a resource fails the stack ends `CREATE_FAILED`
(with `OnFailure: DO_NOTHING`), the resource has a `CREATE_FAILED` event carrying the reason, and a nested stack
that failed makes its parent fail with "Embedded stack ... was not successfully created".
moto 5.2.1: the error escaped the CreateStack call itself (HTTP 4xx/5xx), the stack stayed listed as
`CREATE_IN_PROGRESS` forever, no resource event was recorded, and a parent whose child failed could still
complete; deleting that parent then left the child stack and its resources behind.
"""


class EmbeddedStackFailed(Exception):
    def __init__(self, stack):
        super().__init__(
            f"Embedded stack {stack.stack_id} was not successfully created: {getattr(stack, 'status_reason', '')}"
        )
        self.physical_resource_id = stack.stack_id
        self.stack = stack


def _record_failure(resources_map, logical_id, resource_type, error, account_id, region_name):
    from moto.cloudformation.models import Event, cloudformation_backends

    stack = cloudformation_backends[account_id][region_name].stacks.get(resources_map.stack_id)
    if stack is None or getattr(error, "_dsenv_recorded", False):
        return
    event = Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id=getattr(error, "physical_resource_id", None),
        resource_type=resource_type,
        resource_status="CREATE_FAILED",
        resource_status_reason=str(error)[:1000] or type(error).__name__,
        resource_properties=None,
    )
    stack.events.append(event)
    stack.failed_resources = [*getattr(stack, "failed_resources", []), logical_id]
    try:
        error._dsenv_recorded = True
    except AttributeError:
        pass


def apply():
    from moto.cloudformation import parsing
    from moto.cloudformation.models import CloudFormationBackend, Stack

    original_parse = parsing.parse_and_create_resource

    def parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
        try:
            return original_parse(logical_id, resource_json, resources_map, account_id, region_name)
        except Exception as error:
            _record_failure(resources_map, logical_id, resource_json.get("Type"), error, account_id, region_name)
            if isinstance(error, EmbeddedStackFailed):
                # The failed child exists (with whatever it created): deleting the parent must delete it too.
                error.stack.logical_resource_id = logical_id
                error.stack.cf_resource_type = resource_json.get("Type")
                resources_map._parsed_resources[logical_id] = error.stack
            raise

    parsing.parse_and_create_resource = parse_and_create_resource

    original_create = CloudFormationBackend.create_stack

    def create_stack(self, name, template, parameters, *args, **kwargs):
        existing = set(self.stacks)
        try:
            return original_create(self, name, template, parameters, *args, **kwargs)
        except Exception:
            created = [s for sid, s in self.stacks.items() if sid not in existing]
            if not created:
                raise  # rejected before the stack existed (bad template, duplicate name): an API error, as on AWS
            stack = created[0]
            failed = getattr(stack, "failed_resources", [])
            stack.status = "CREATE_FAILED"
            stack.status_reason = (
                f"The following resource(s) failed to create: [{', '.join(failed)}]." if failed else "Create failed."
            )
            stack.stack_status_reason = stack.status_reason
            stack._add_stack_event("CREATE_FAILED", resource_status_reason=stack.status_reason)
            return stack

    CloudFormationBackend.create_stack = create_stack

    original_nested = Stack.create_from_cloudformation_json.__func__

    def create_nested_stack(cls, *args, **kwargs):
        child = original_nested(cls, *args, **kwargs)
        if child.status == "CREATE_FAILED":
            raise EmbeddedStackFailed(child)
        return child

    Stack.create_from_cloudformation_json = classmethod(create_nested_stack)

    original_outputs = Stack.outputs.fget

    def outputs(self):
        # A failed stack has no outputs; evaluating them would lazily retry creating the failed resources.
        return None if self.status == "CREATE_FAILED" else original_outputs(self)

    Stack.outputs = property(outputs)
