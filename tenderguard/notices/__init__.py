"""Reminder notices to procurement agencies: SMS text, call log and email sending."""
