"""Loading a package: the SDTM package beside an ADaM one is read lazily, dataset by dataset,
and what a rule asks of it (names, variables, a few columns) is what a full read gives."""

from __future__ import annotations

import pandas as pd

from cdisc.validation.package import LazyDatasets, columns_of, load_package, part_of


def test_the_sdtm_beside_an_adam_package_is_read_when_asked(built):
    study, _raw, folder, _result, _report = built
    datasets = folder / "m5" / "datasets" / study
    adam = load_package(datasets / "analysis" / "adam" / "datasets")
    sdtm = load_package(datasets / "tabulations" / "sdtm")
    related = adam.related
    assert isinstance(related.datasets, LazyDatasets)
    assert list(related.datasets) == list(sdtm.datasets)
    assert "DM" in related.datasets and "NOPE" not in related.datasets
    assert related.datasets._frames == {}  # nothing read by listing or testing names
    for name, frame in sdtm.datasets.items():
        assert columns_of(related, name) == list(frame.columns)
        wanted = list(frame.columns[:2])
        pd.testing.assert_frame_equal(part_of(related, name, wanted), frame[wanted])
    assert related.datasets._frames == {}  # parts are read, not kept
    pd.testing.assert_frame_equal(related.datasets["DM"], sdtm.datasets["DM"])
    assert related.meta["DM"] == sdtm.meta["DM"]
    assert set(related.datasets._frames) == {"DM"}
