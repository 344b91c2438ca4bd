"""capsule's publishing side: the CLI, YouTube access, the journal and the local sandbox."""

__version__ = "0.1.0"
