"""SDTM conformance rules, registered with :mod:`cdisc.validation.engine` on import."""
