"""``python -m tenderguard.desk``: the desk command on its own (the same as ``tenderguard desk``)."""

from tenderguard.desk.command import desk_command

desk_command()
