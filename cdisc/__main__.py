"""``python -m cdisc`` is the same as the ``cdisc`` command."""

from cdisc.cli import main

main()
