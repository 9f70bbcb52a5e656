"""Security group rules from a template keep IPv6 sources and explicit egress.

Real CloudFormation: an `AWS::EC2::SecurityGroup` applies every `SecurityGroupIngress` rule (CidrIp, CidrIpv6,
source group or prefix list); when `SecurityGroupEgress` is given, EC2's default allow-all egress is replaced by
exactly those rules (CidrIp, CidrIpv6, DestinationSecurityGroupId, DestinationPrefixListId). A standalone
`AWS::EC2::SecurityGroupEgress` adds one egress rule.
moto 5.2.1: inline ingress read only `CidrIp` and source groups (an IPv6 `::/0` rule vanished), inline
`SecurityGroupEgress` was ignored (the group kept allow-all egress), and `AWS::EC2::SecurityGroupEgress` was an
unknown type (skipped with a warning).
"""
from moto.core.common_models import CloudFormationModel


def _rule_args(rule, group_key, prefix_key):
    ip_ranges = []
    if rule.get("CidrIp"):
        ip_ranges.append({"CidrIp": rule["CidrIp"], "Description": rule.get("Description")})
    if rule.get("CidrIpv6"):
        ip_ranges.append({"CidrIpv6": rule["CidrIpv6"], "Description": rule.get("Description")})
    groups = [{"GroupId": rule[group_key], "Description": rule.get("Description")}] if rule.get(group_key) else []
    prefix_lists = [{"PrefixListId": rule[prefix_key]}] if rule.get(prefix_key) else []
    protocol = str(rule["IpProtocol"])
    all_ports = protocol == "-1"
    return {
        "ip_protocol": protocol,
        "from_port": None if all_ports else rule.get("FromPort"),
        "to_port": None if all_ports else rule.get("ToPort"),
        "ip_ranges": ip_ranges,
        "source_groups": groups,
        "prefix_list_ids": prefix_lists,
    }


def authorize_ingress(backend, group, rule):
    args = _rule_args(rule, "SourceSecurityGroupId", "SourcePrefixListId")
    backend.authorize_security_group_ingress(group.id, vpc_id=group.vpc_id, **args)


def authorize_egress(backend, group, rule):
    args = _rule_args(rule, "DestinationSecurityGroupId", "DestinationPrefixListId")
    backend.authorize_security_group_egress(group.id, vpc_id=group.vpc_id, **args)


class SecurityGroupEgress(CloudFormationModel):
    def __init__(self, group_id):
        self.group_id = group_id

    @property
    def physical_resource_id(self):
        return self.group_id

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::EC2::SecurityGroupEgress"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        from moto.ec2.models import ec2_backends

        props = cloudformation_json["Properties"]
        backend = ec2_backends[account_id][region_name]
        group = backend.get_security_group_from_id(props["GroupId"])
        authorize_egress(backend, group, props)
        return cls(group.id)

    def delete(self, account_id, region_name):
        """The rule goes with its group."""


def apply():
    from moto.cloudformation import parsing
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.security_groups import SecurityGroup

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = ec2_backends[account_id][region_name]
        group = backend.create_security_group(
            name=props.get("GroupName", resource_name),
            description=props.get("GroupDescription"),
            vpc_id=props.get("VpcId"),
        )
        for tag in props.get("Tags", []):
            group.add_tag(tag["Key"], tag["Value"])
        for rule in props.get("SecurityGroupIngress", []):
            authorize_ingress(backend, group, rule)
        if "SecurityGroupEgress" in props:
            group.egress_rules = []
            for rule in props["SecurityGroupEgress"]:
                authorize_egress(backend, group, rule)
        return group

    SecurityGroup.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
