"""gridhub: grid patrol and video monitoring integration hub."""

__version__ = "0.1.0"
