"""One module per moto gap. apply_all() applies every patch; DSENV_DISABLE_PATCHES (comma list) skips some,
so tests can show that each gap is real without its patch."""
import importlib
import os

PATCHES = [  # module names, in application order
    "getatt_short_form",
    "nested_stack_outputs",
    "fn_cidr",
    "vpc_ipv6_cidr_block",
    "subnet_ipv6",
    "egress_only_internet_gateway",
    "route_ipv6",
    "subnet_route_table_association",
    "security_group_rules",
    "alb_dualstack",
    "ecs_service_properties",
    "stack_tags",
    "complete_stack_delete",
    "stack_create_failure",
    "tagging_api_coverage",
]


def apply_all():
    disabled = {p.strip() for p in os.environ.get("DSENV_DISABLE_PATCHES", "").split(",") if p.strip()}
    for name in PATCHES:
        if name in disabled or "all" in disabled:
            continue
        importlib.import_module(f"{__name__}.{name}").apply()
