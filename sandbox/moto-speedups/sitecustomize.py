"""Speed-up for the sandbox's moto_server, imported by Python at start-up (sandbox/run.ts puts this folder on
PYTHONPATH). moto 5.2 looks up an EC2 resource's tags by scanning every tag of every resource in the Region,
so DescribeSnapshots over a few hundred tagged snapshots costs O(n^2) and dominates a simulated week. This
replaces that lookup with the dictionary read it stands for, returning exactly the same list. Anything
unexpected (another moto version) leaves moto as it is.
"""

try:
    from moto.ec2.models.core import TaggedEC2Resource
    from moto.ec2.models.tags import TagBackend
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    if hasattr(TagBackend, "describe_tags") and hasattr(TaggedEC2Resource, "get_tags"):

        def _get_tags(self):
            resource_id = getattr(self, "id", None)
            if not resource_id:
                return []
            tags = self.ec2_backend.tags.get(resource_id, {})
            resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
            return [{"resource_id": resource_id, "key": key, "value": value, "resource_type": resource_type} for key, value in tags.items()]

        TaggedEC2Resource.get_tags = _get_tags
except Exception:  # noqa: BLE001 - a speed-up must never stop the server from starting
    pass
