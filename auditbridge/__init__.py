"""auditbridge: recurring IT audits (tool adoption and helpdesk SLA) for small and mid-sized companies."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("auditbridge")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
