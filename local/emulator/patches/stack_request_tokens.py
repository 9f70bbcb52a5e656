"""Stack events carry the ClientRequestToken of the operation that caused them.

Real CloudFormation: every event of a stack operation (DescribeStackEvents, and the EventBridge "CloudFormation
Stack Status Change" events) carries the `ClientRequestToken` given to CreateStack or DeleteStack, so a consumer
can tell which attempt an event belongs to.
moto 5.2.1: CreateStack and DeleteStack ignore the token; every event has `ClientRequestToken` unset.
"""
import threading

_current = threading.local()


def _with_token(action):
    def run(self):
        _current.token = self._get_param("ClientRequestToken")
        try:
            return action(self)
        finally:
            _current.token = None

    return run


def apply():
    from moto.cloudformation.models import Stack
    from moto.cloudformation.responses import CloudFormationResponse

    original_add_event = Stack._add_stack_event

    def _add_stack_event(self, *args, **kwargs):
        original_add_event(self, *args, **kwargs)
        token = getattr(_current, "token", None)
        if token and self.events:
            self.events[-1].client_request_token = token

    Stack._add_stack_event = _add_stack_event
    # Applied after complete_stack_delete, which replaces the DeleteStack action: wrap whichever is in place.
    CloudFormationResponse.create_stack = _with_token(CloudFormationResponse.create_stack)
    CloudFormationResponse.delete_stack = _with_token(CloudFormationResponse.delete_stack)
