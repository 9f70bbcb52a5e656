"""`Fn::GetAtt: [Child, Outputs.X]` on an `AWS::CloudFormation::Stack` returns the child's output X.

Real CloudFormation: a nested stack resource exposes each child output as attribute `Outputs.<Name>`.
moto 5.2.1: the nested `Stack` model had no `get_cfn_attribute`, so the parent failed to resolve it (an
AttributeError escaping the request, which left the server answering HTTP 500).
"""


def _get_cfn_attribute(self, attribute_name):
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    if attribute_name.startswith("Outputs."):
        key = attribute_name.split(".", 1)[1]
        for output in self.output_map.values():
            if output is not None and output.key == key:
                return output.value
        raise UnformattedGetAttTemplateException()
    # moto's response serializer probes attributes with getattr: anything else must be an AttributeError.
    raise AttributeError(attribute_name)


def apply():
    from moto.cloudformation.models import Stack

    Stack.get_cfn_attribute = _get_cfn_attribute
