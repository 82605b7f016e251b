"""Dataset writers: SAS XPORT v5 and CDISC Dataset-JSON 1.1, driven by the metadata model.

The SDTM and ADaM engines hand over a frame and its :class:`cdisc.metadata.DatasetDef`; the
build then does, for each dataset::

    frame, ascii_findings = to_ascii(frame, dataset.name)    # ASCII02 rows are errors
    # Char length = longest value (or dataset.with_lengths(lengths(frame, dataset)) first)
    written = write_xpt(frame, dataset, out, created=build_time, fit_lengths=True)
    dataset = written.dataset
    findings = verify_xpt(written.path, frame, dataset,      # [] when it reads back equal
                          prepared=written.prepared)
    # or, pyreadstat reading back in a worker process while the build goes on:
    # start_verify_xpt(...) now, .findings() (the same list) once it is needed
    write_dataset_json(frame, dataset, out, created=build_time,
                       study_oid=..., metadata_version_oid=...)

Every writer refuses (``ConformanceError``) rather than write a file that breaks the standard,
writes atomically (a temporary file renamed into place), and writes byte-identical files for
identical inputs and ``created``.
"""

from cdisc.writers.ascii import ASCII_FINDING_COLUMNS, KIND_CODES, to_ascii, transliterate
from cdisc.writers.conform import lengths
from cdisc.writers.csvfile import write_csv
from cdisc.writers.datasetjson import DATASET_JSON_VERSION, json_data_type, write_dataset_json
from cdisc.writers.findings import CODES, FINDING_COLUMNS, Finding, findings_frame
from cdisc.writers.readback import start_verify_xpt, verify_xpt
from cdisc.writers.xpt import XptResult, write_xpt

__all__ = [
    "ASCII_FINDING_COLUMNS",
    "CODES",
    "DATASET_JSON_VERSION",
    "FINDING_COLUMNS",
    "KIND_CODES",
    "Finding",
    "XptResult",
    "findings_frame",
    "json_data_type",
    "lengths",
    "start_verify_xpt",
    "to_ascii",
    "transliterate",
    "verify_xpt",
    "write_csv",
    "write_dataset_json",
    "write_xpt",
]
