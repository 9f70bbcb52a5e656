"""One module per moto gap. apply_all() applies every patch; DSENV_DISABLE_PATCHES (comma list) skips some,
so tests can show that each gap is real without its patch.

moto_server imports a service's models only when that service is first called, and moto's CloudFormation module
imports the models of every service it supports (several seconds). So the patches are applied when CloudFormation or
the tagging API is first imported, not at start-up: the server answers as fast as plain moto_server.
"""
import importlib
import importlib.abc
import json
import os
import sys
import threading

PATCHES = [  # module names, in application order
    "getatt_short_form",
    "nested_stack_outputs",
    "fn_cidr",
    "no_value_in_lists",
    "vpc_dns_attributes",
    "vpc_ipv6_cidr_block",
    "subnet_ipv6",
    "egress_only_internet_gateway",
    "route_ipv6",
    "subnet_route_table_association",
    "security_group_rules",
    "alb_dualstack",
    "ecs_task_definition_properties",
    "ecs_service_properties",
    "stack_tags",
    "fault_injection",  # before complete_stack_delete and stack_create_failure: its errors go through them
    "complete_stack_delete",
    "stack_create_failure",
    "stack_request_tokens",  # after complete_stack_delete: wraps the DeleteStack action it installs
    "tagging_api_coverage",
]

# Patches with a part that must work before any AWS call (the fault switches' control endpoint).
INSTALL_AT_START = {"fault_injection"}

# Importing either of these means a patched code path is about to run.
TRIGGERS = {"moto.cloudformation.models", "moto.resourcegroupstaggingapi.models"}

# Answers which patches this emulator carries, so a launcher can tell it from a plain moto_server.
MARKER_PATH = "/_dsenv/patches"

_lock = threading.RLock()
_applied = False


def enabled_patches():
    disabled = {p.strip() for p in os.environ.get("DSENV_DISABLE_PATCHES", "").split(",") if p.strip()}
    return [name for name in PATCHES if name not in disabled and "all" not in disabled]


def apply_now():
    """Applies every enabled patch (once)."""
    global _applied
    with _lock:
        if _applied:
            return
        _applied = True
        for name in enabled_patches():
            importlib.import_module(f"{__name__}.{name}").apply()


class _ApplyAfterTrigger(importlib.abc.MetaPathFinder):
    """Runs apply_now() right after a trigger module has finished importing."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in TRIGGERS or _applied:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                exec_module = spec.loader.exec_module

                def exec_then_apply(module, exec_module=exec_module):
                    exec_module(module)
                    apply_now()

                spec.loader.exec_module = exec_then_apply
                return spec
        return None


def install_marker():
    """GET /_dsenv/patches → {"patches": [enabled patches], "all": [every patch]} (cheap; runs at start)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original_call = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != MARKER_PATH:
            return original_call(self, environ, start_response)
        data = json.dumps({"patches": enabled_patches(), "all": PATCHES}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    DomainDispatcherApplication.__call__ = __call__


def apply_all():
    """Applies the patches now if moto's CloudFormation is already loaded, otherwise as soon as it is. A patch
    listed in INSTALL_AT_START also has its cheap `install()` (an HTTP endpoint in front of moto) run at once,
    and the marker endpoint is installed."""
    install_marker()
    for name in enabled_patches():
        if name in INSTALL_AT_START:
            importlib.import_module(f"{__name__}.{name}").install()
    if any(name in sys.modules for name in TRIGGERS):
        apply_now()
    elif not any(isinstance(f, _ApplyAfterTrigger) for f in sys.meta_path):
        sys.meta_path.insert(0, _ApplyAfterTrigger())
