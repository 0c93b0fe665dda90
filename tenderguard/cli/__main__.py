"""``python -m tenderguard.cli``: the ``tenderguard`` command."""

from tenderguard.cli import main

main()
