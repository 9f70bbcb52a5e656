"""`Fn::Cidr` carves subnet blocks out of an IPv4 or IPv6 block.

Real CloudFormation: `!Cidr [block, count, cidrBits]` returns `count` consecutive blocks with `cidrBits` host bits
(e.g. `!Cidr [2600:1f18:aa:bb00::/56, 4, 64]` gives four /64s), for IPv4 and IPv6 alike.
moto 5.2.1: `Fn::Cidr` was not evaluated at all; the property kept the raw `{"Fn::Cidr": ...}` object.
"""
import ipaddress


def cidr(block, count, cidr_bits):
    network = ipaddress.ip_network(str(block), strict=False)
    new_prefix = network.max_prefixlen - int(cidr_bits)
    subnets = network.subnets(new_prefix=new_prefix)
    return [str(next(subnets)) for _ in range(int(count))]


def apply():
    from moto.cloudformation import parsing

    previous = parsing.clean_json

    def clean_json(resource_json, resources_map):
        if isinstance(resource_json, dict) and "Fn::Cidr" in resource_json:
            block, count, cidr_bits = parsing.clean_json(resource_json["Fn::Cidr"], resources_map)
            return cidr(block, count, cidr_bits)
        return previous(resource_json, resources_map)

    parsing.clean_json = clean_json
