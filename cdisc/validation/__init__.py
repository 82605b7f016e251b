"""Conformance validation: a package loaded from any folder, a registry of rules, findings.

The engine (:mod:`cdisc.validation.engine`) runs every registered rule on a
:class:`cdisc.validation.package.Package`; the rules themselves live with the standard they
check (``sdtm/rules/``, ``adam/rules/``, ``define/rules.py``), one module per rule family.
"""
