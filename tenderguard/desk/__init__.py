"""The interactive entrance desk (``tenderguard desk``): the operator's terminal on a bid-opening day."""

from tenderguard.desk.app import DeskQuit, run_desk
from tenderguard.desk.messages import Catalogue, catalogue

__all__ = ["Catalogue", "DeskQuit", "catalogue", "run_desk"]
