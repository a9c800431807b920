"""Compatibility path: the raw-request parser lives in `bisnap.cli.rawhttp`.

`from bisnap.rawhttp import parse_raw_request` keeps working for users and older docs;
bisnap itself imports `bisnap.cli.rawhttp`.
"""

from bisnap.cli.rawhttp import RawRequest, parse_raw_request

__all__ = ["RawRequest", "parse_raw_request"]
