"""capsule's settings file and capsule manifests, parsed into typed objects."""
