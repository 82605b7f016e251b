"""ADaM conformance rules (ADR001...), one module per family, registered with
:mod:`cdisc.validation.engine` on import: ``structure`` (ADSL present, names, flag values),
``adsl`` (subjects, DM traceability, treatment dates, ADSL flags), ``pairs`` (code/decode
pairs), ``dates``, ``bds`` (parameters, baseline, change), ``tte`` (time to event) and
``traceability`` (SRCDOM, SRCVAR, SRCSEQ).

Importing the package, or any module of it, registers every family.

Example::

    from cdisc.validation.engine import REGISTRY, run_rules
    import adam.rules  # registers ADR001...
    result = run_rules(package, {k: r for k, r in REGISTRY.items() if k.startswith("ADR")})
"""

from adam.rules import (  # noqa: F401  (each module registers its rules)
    adsl,
    bds,
    dates,
    pairs,
    structure,
    traceability,
    tte,
)
