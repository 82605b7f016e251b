"""Session fixtures for tests/standards: the loader, and the official files read independently."""

from __future__ import annotations

from types import ModuleType

import pytest
import specs_official

from cdisc.standards import Standards


@pytest.fixture(scope="session")
def std() -> Standards:
    """The shipped standards."""
    return Standards.load()


@pytest.fixture(scope="session")
def sdtmig() -> dict[str, list[dict[str, str]]]:
    """SDTMIG 3.4 Variables.csv rows per dataset, in Variable Order."""
    return specs_official.sdtmig_variables()


@pytest.fixture(scope="session")
def adamig() -> dict[str, list[dict[str, str]]]:
    """ADaMIG 1.3 Variables.csv rows per structure description."""
    return specs_official.adamig_variables()


@pytest.fixture(scope="session")
def official_ct() -> dict[str, dict]:
    """Every codelist of the official CT files (see specs_official.official_ct)."""
    return specs_official.official_ct()


@pytest.fixture(scope="session")
def make_specs() -> ModuleType:
    """The generator script, imported."""
    return specs_official.load_script()
