"""banli (办理): a workflow engine for government handling procedures."""

__version__ = "0.1.0"
