"""YAML short form `!GetAtt Child.Outputs.X` splits on the first dot only.

Real CloudFormation: `!GetAtt A.B.C` means resource `A`, attribute `B.C` (so `!GetAtt Stack.Outputs.VpcId` reads the
nested stack's output), and `!GetAtt [A, B]` is the same as the long form.
moto 5.2.1: its YAML tag constructor split the string on every dot (asking resource `Stack` for attribute `Outputs`),
and returned raw YAML nodes for the sequence form.
"""
import yaml


def yaml_tag_constructor(loader, tag, node):
    if tag == "!GetAtt":
        if isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = node.value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        value = node.value
    key = "Ref" if tag == "!Ref" else f"Fn::{tag[1:]}"
    return {key: value}


def apply():
    from moto.cloudformation import models, responses, utils

    for module in (utils, models, responses):
        module.yaml_tag_constructor = yaml_tag_constructor
