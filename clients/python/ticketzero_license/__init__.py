"""TicketZero license client for installations (Python twin of the TypeScript client).

    from ticketzero_license import license_manager, LicenseError

    is_valid, message = license_manager.validate_license()
    if license_manager.check_feature_access("Advanced Dashboard"):
        ...
    limits = license_manager.get_usage_limits()

See README.md, docs/INTEGRATION.md and docs/AIR-GAPPED.md.
"""
from .cache import CACHE_FILE, INSTANCE_FILE
from .client import LicenseManager, feature_name, has_feature, license_manager, normalise_feature, status_indicator
from .errors import CLIENT_CODES, LicenseError
from .features import FEATURE_NAMES, PLAN_NAMES

__version__ = "1.0.0"

__all__ = [
    "CACHE_FILE",
    "CLIENT_CODES",
    "FEATURE_NAMES",
    "INSTANCE_FILE",
    "LicenseError",
    "LicenseManager",
    "PLAN_NAMES",
    "feature_name",
    "has_feature",
    "license_manager",
    "normalise_feature",
    "status_indicator",
]
