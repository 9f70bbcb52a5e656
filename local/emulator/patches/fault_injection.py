"""Fault switches for tests: make the emulator fail the way AWS sometimes does, on request.

Not a moto gap: an extension used only by the fault-injection tests. Nothing changes until a fault is set.
Control endpoint (JSON), on the emulator's own port:

    POST   /_dsenv/faults   {"throttle":   {"action": "CreateStack", "count": 4, "stackName"?: "dsenv-env-…"},
                             "failCreate": {"stackName": "dsenv-env-…", "resource": "LoadBalancer",
                                            "message"?: "…", "rollback"?: true},
                             "failDelete": {"stackName": "dsenv-env-…", "times"?: 1 (omitted: always),
                                            "resource"?: "NetworkStack", "message"?: "…"},
                             "lingerAfterDelete": {"stackName": "dsenv-env-…", "environmentId": "env-…",
                                                   "seconds"?: 2 (omitted: for good)},
                             "slowCreate": {"stackName"?: "dsenv-env-…", "seconds": 5, "times"?: 1}}
                            adds each fault given; answers the faults now armed
    GET    /_dsenv/faults   the faults now armed (counts left)
    DELETE /_dsenv/faults   clears every fault

- throttle: the next `count` CloudFormation calls of `action` (for `stackName` only, when given) answer HTTP 400
  `Throttling` "Rate exceeded", as AWS does (the SDK retries them itself, then gives up).
- failCreate: the resource with that logical id (in the stack or one of its nested stacks) fails to create, so
  the stack ends CREATE_FAILED with the reason in its events; with `rollback` the stack then rolls back as
  CloudFormation's default OnFailure does: its resources are deleted and it ends ROLLBACK_COMPLETE.
- failDelete: DeleteStack of that stack ends DELETE_FAILED (nothing deleted), `times` times or always; the stack's
  status reason names the resource, as on AWS ("The following resource(s) failed to delete: [...]").
- lingerAfterDelete: after that stack is deleted, a network interface tagged `dsenv:environment-id` remains
  (the ENI of a Fargate task that ECS releases late), for `seconds` or for good.
- slowCreate: the next `times` stacks created (that one only, when `stackName` is given; default: every one while
  armed) report CREATE_IN_PROGRESS for `seconds` before their real outcome, as a stack waiting on a slow resource.
"""
import io
import json
import threading
import time
import uuid
from urllib.parse import parse_qs

CONTROL_PATH = "/_dsenv/faults"
TAG_ENVIRONMENT_ID = "dsenv:environment-id"

_lock = threading.RLock()
_faults = {"throttle": [], "failCreate": [], "failDelete": [], "lingerAfterDelete": [], "slowCreate": []}


def _stack_matches(wanted, name_or_id):
    """`wanted` is a top-level stack name; nested stacks are named `<parent>-<LogicalId>-<suffix>`, and a stack id
    is an ARN `…:stack/<name>/<uuid>`."""
    if not wanted:
        return True
    if not name_or_id:
        return False
    name = name_or_id.split(":stack/", 1)[1].split("/", 1)[0] if ":stack/" in name_or_id else name_or_id
    return name == wanted or name.startswith(f"{wanted}-")


def armed():
    with _lock:
        return json.loads(json.dumps(_faults))


def add(spec):
    with _lock:
        for kind in _faults:
            if kind in spec:
                entry = dict(spec[kind])
                if kind == "throttle":
                    entry["count"] = int(entry.get("count", 1))
                if kind in ("failDelete", "slowCreate") and entry.get("times") is not None:
                    entry["times"] = int(entry["times"])
                _faults[kind].append(entry)


def clear():
    with _lock:
        for entries in _faults.values():
            entries.clear()


def _take_throttle(action, stack_name):
    with _lock:
        for entry in _faults["throttle"]:
            if entry["action"] == action and entry["count"] > 0 and _stack_matches(entry.get("stackName"), stack_name):
                entry["count"] -= 1
                return True
    return False


def _create_failure(stack_name, logical_id):
    with _lock:
        for entry in _faults["failCreate"]:
            if entry.get("resource") == logical_id and _stack_matches(entry.get("stackName"), stack_name):
                return entry
    return None


def _delete_failure(stack_name):
    with _lock:
        for entry in _faults["failDelete"]:
            if entry.get("stackName") != stack_name:
                continue
            times = entry.get("times")
            if times is None:
                return entry
            if times > 0:
                entry["times"] = times - 1
                return entry
    return None


def _take_slow_create(stack_name):
    """Seconds the new stack stays CREATE_IN_PROGRESS (None: not slowed); counts down `times`."""
    with _lock:
        for entry in _faults["slowCreate"]:
            if not _stack_matches(entry.get("stackName"), stack_name):
                continue
            times = entry.get("times")
            if times is not None and times <= 0:
                continue
            if times is not None:
                entry["times"] = times - 1
            return float(entry.get("seconds", 5))
    return None


def _slow_down(stack, seconds):
    """Shows CREATE_IN_PROGRESS for `seconds`, then the outcome the create really had (unless deleted meanwhile).
    The stack's own event of that outcome is held back until then, as on AWS (it comes when the outcome does)."""
    outcome = stack.status
    stack.status = "CREATE_IN_PROGRESS"
    held = [e for e in stack.events if e.logical_resource_id == stack.name and e.resource_status == outcome]
    for event in held:
        stack.events.remove(event)

    def finish():
        from moto.core.utils import utcnow

        time.sleep(seconds)
        if stack.status == "CREATE_IN_PROGRESS":
            for event in held:
                event.timestamp = utcnow()
                stack.events.append(event)
            stack.status = outcome

    threading.Thread(target=finish, daemon=True).start()


def _linger(stack_name):
    with _lock:
        return [e for e in _faults["lingerAfterDelete"] if e.get("stackName") == stack_name]


# ── the control endpoint and throttling, in front of moto's WSGI application ──

def _json_response(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _control(environ, start_response):
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "DELETE":
        clear()
    elif method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
            add(spec)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return _json_response(start_response, "400 Bad Request", {"error": str(error)})
    return _json_response(start_response, "200 OK", armed())


def _cloudformation_call(environ):
    """(action, StackName) of a CloudFormation query-protocol call; the body is put back for moto."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "/cloudformation/aws4_request" not in auth:
        return None, None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    params = parse_qs(body.decode("utf-8", "replace"))
    return (params.get("Action") or [None])[0], (params.get("StackName") or [None])[0]


THROTTLING_BODY = (
    '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
    "<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    "<RequestId>{request_id}</RequestId></ErrorResponse>"
)


def install():
    """Eager part (cheap, runs at server start): the control endpoint and throttling."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original_call = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == CONTROL_PATH:
            return _control(environ, start_response)
        if _faults["throttle"]:
            action, stack_name = _cloudformation_call(environ)
            if action is not None and _take_throttle(action, stack_name):
                request_id = str(uuid.uuid4())
                data = THROTTLING_BODY.format(request_id=request_id).encode()
                start_response(
                    "400 Bad Request",
                    [("Content-Type", "text/xml"), ("Content-Length", str(len(data))), ("x-amzn-RequestId", request_id)],
                )
                return [data]
        return original_call(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__


# ── CloudFormation behaviour (applied with the other patches) ──

class InjectedResourceFailure(Exception):
    pass


def _rollback(stack):
    """What CloudFormation does after a failed create with OnFailure=ROLLBACK: delete what was created."""
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=stack.status_reason)
    stack.status = "ROLLBACK_IN_PROGRESS"
    try:
        stack.resource_map.delete()
    except Exception as error:  # noqa: BLE001 - the rollback's own failure is its result
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=str(error)[:500])
        return
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")


def _leave_network_interface(account_id, region_name, entry):
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region_name]
    subnet = next(iter(ec2.describe_subnets()), None)
    if subnet is None:
        return
    eni = ec2.create_network_interface(
        subnet,
        None,
        description=f"ECS task attachment of {entry.get('environmentId', '?')} (released late)",
        tags={TAG_ENVIRONMENT_ID: entry.get("environmentId", "")},
    )
    ec2.create_tags([eni.id], {TAG_ENVIRONMENT_ID: entry.get("environmentId", "")})
    seconds = entry.get("seconds")
    if seconds is not None:
        def release():
            time.sleep(float(seconds))
            ec2.enis.pop(eni.id, None)
            ec2.tags.pop(eni.id, None)

        threading.Thread(target=release, daemon=True).start()


def apply():
    from moto.cloudformation import parsing
    from moto.cloudformation.models import CloudFormationBackend, Stack
    from moto.cloudformation.responses import CloudFormationResponse

    # Before stack_create_failure (inner): the injected error is recorded like any resource failure.
    original_parse = parsing.parse_and_create_resource

    def parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
        stack_name = resources_map._parsed_resources.get("AWS::StackName")
        entry = _create_failure(stack_name, logical_id)
        if entry is not None:
            raise InjectedResourceFailure(
                entry.get("message")
                or f"Resource handler returned message: \"{resource_json.get('Type')} {logical_id} could not be "
                f"created (injected fault)\" (HandlerErrorCode: ServiceInternalError)"
            )
        return original_parse(logical_id, resource_json, resources_map, account_id, region_name)

    parsing.parse_and_create_resource = parse_and_create_resource

    original_create_action = CloudFormationResponse.create_stack

    def create_stack_action(self):
        result = original_create_action(self)
        name = self._get_param("StackName")
        with _lock:
            rollback = any(
                e.get("rollback") and _stack_matches(e.get("stackName"), name) for e in _faults["failCreate"]
            )
        if rollback:
            for stack in list(self.cloudformation_backend.stacks.values()):
                if stack.name == name and stack.status == "CREATE_FAILED":
                    _rollback(stack)
        seconds = _take_slow_create(name)
        if seconds is not None:
            for stack in list(self.cloudformation_backend.stacks.values()):
                if stack.name == name and stack.status in ("CREATE_COMPLETE", "CREATE_FAILED", "ROLLBACK_COMPLETE"):
                    _slow_down(stack, seconds)
        return result

    CloudFormationResponse.create_stack = create_stack_action

    # Before complete_stack_delete (inner): its wrapper turns the error into DELETE_FAILED and keeps the stack.
    original_delete = CloudFormationBackend.delete_stack

    def delete_stack(self, name_or_stack_id):
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None
        )
        if stack is not None:
            entry = _delete_failure(stack.name)
            if entry is not None:
                resource = entry.get("resource", "NetworkStack")
                stack.status_reason = f"The following resource(s) failed to delete: [{resource}]. "
                stack.stack_status_reason = stack.status_reason
                stack._add_stack_event(
                    "DELETE_IN_PROGRESS", resource_status_reason="User Initiated"
                )
                raise InjectedResourceFailure(
                    entry.get("message")
                    or f"{resource}: resource could not be deleted: it has dependencies "
                    f"(network interface in use) (injected fault)"
                )
        original_delete(self, name_or_stack_id)
        if stack is not None and stack.status == "DELETE_COMPLETE" and not getattr(stack, "_dsenv_lingered", False):
            stack._dsenv_lingered = True  # a delete by name re-enters with the stack id
            for entry in _linger(stack.name):
                _leave_network_interface(self.account_id, self.region_name, entry)

    CloudFormationBackend.delete_stack = delete_stack

    original_outputs = Stack.outputs.fget

    def outputs(self):
        # A rolled-back stack has no outputs; evaluating them would lazily re-create the deleted resources.
        return None if self.status.startswith("ROLLBACK_") else original_outputs(self)

    Stack.outputs = property(outputs)
