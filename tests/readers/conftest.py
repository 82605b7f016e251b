"""Shared fixtures of the reader tests: the real EDC exports and small ODM documents."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

#: Real exports nobody here wrote (REDCapR test projects, pharmaverse sdtm.oak raw data).
EXPORTS = Path(os.environ.get("CDISC_EDC_EXPORTS", "/work/shared/edc-exports"))

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"


@pytest.fixture(scope="session")
def exports() -> Path:
    if not (EXPORTS / "redcap").is_dir():
        pytest.skip(f"real EDC exports not found at {EXPORTS} (set CDISC_EDC_EXPORTS)")
    return EXPORTS


@pytest.fixture
def odm_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a small ODM document: ``odm_file(metadata, clinical, version=..., ns=...)``.

    ``metadata`` is the inside of one MetaDataVersion (OID ``MDV.1`` in study ``S``);
    ``clinical`` is everything after the Study element (ClinicalData blocks).
    """

    def write(
        metadata: str,
        clinical: str,
        *,
        version: str | None = "1.3.2",
        ns: str = ODM_NS,
        name: str = "odm.xml",
        extra_ns: str = 'xmlns:mdsol="http://www.mdsol.com/ns/odm/metadata" '
        'xmlns:OpenClinica="http://www.openclinica.org/ns/odm_ext_v130/v3.1"',
    ) -> Path:
        version_attr = f' ODMVersion="{version}"' if version is not None else ""
        text = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<ODM xmlns="{ns}" {extra_ns}{version_attr} FileOID="F1" FileType="Snapshot" '
            'CreationDateTime="2024-01-01T00:00:00">\n'
            '<Study OID="S"><GlobalVariables><StudyName>S</StudyName><StudyDescription/>'
            "<ProtocolName>S</ProtocolName></GlobalVariables>\n"
            f'<MetaDataVersion OID="MDV.1" Name="v1">\n{metadata}\n</MetaDataVersion>\n'
            f"</Study>\n{clinical}\n</ODM>\n"
        )
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
