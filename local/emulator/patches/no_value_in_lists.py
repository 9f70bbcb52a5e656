"""`Ref AWS::NoValue` removes a list item, as it removes a property.

Real CloudFormation: an item of a list that is `!Ref AWS::NoValue` (directly, or as the branch an `Fn::If` picks)
is dropped, so `[a, !If [Cond, b, !Ref AWS::NoValue]]` is `[a]` when Cond is false.
moto 5.2.1: it dropped such a value only as a property; inside a list it kept `None`, so a container's
`Environment` or a task definition's `ContainerDefinitions` held a null item and the resource failed to create.
"""


def apply():
    from moto.cloudformation import parsing

    original = parsing.clean_json

    def clean_json(resource_json, resources_map):
        if isinstance(resource_json, list):
            cleaned = (clean_json(item, resources_map) for item in resource_json)
            return [item for item in cleaned if item is not None]
        return original(resource_json, resources_map)

    # clean_json recurses through the module attribute, so nested lists go through this one too.
    parsing.clean_json = clean_json
