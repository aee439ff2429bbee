"""Every change of exports: evidence bundles (bundles.py) and evidence fixity (fixity.py)."""

from exports.services.bundles import (
    BUILD_LEASE,
    PURPOSE_LENGTH,
    PURPOSE_REQUIRED,
    build_bundle,
    open_bundle_file,
    request_bundle,
    resume_stalled,
)
from exports.services.fixity import check_fixity, sweep_fixity

__all__ = [
    "BUILD_LEASE",
    "PURPOSE_LENGTH",
    "PURPOSE_REQUIRED",
    "build_bundle",
    "check_fixity",
    "open_bundle_file",
    "request_bundle",
    "resume_stalled",
    "sweep_fixity",
]
