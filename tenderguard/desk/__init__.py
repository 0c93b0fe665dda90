"""The interactive entrance desk (``tenderguard desk``): the operator's terminal on a bid-opening day."""

from tenderguard.desk.app import DeskQuit, run_desk

__all__ = ["DeskQuit", "run_desk"]
