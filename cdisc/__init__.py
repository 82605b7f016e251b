"""cdisc: turn raw EDC exports into CDISC submission packages."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cdisc-toolkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
