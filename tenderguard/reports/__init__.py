"""Reports on a bid-opening day, computed from the stored records: the daily report (日报), the sign-in sheet.

``daily`` counts the day, ``figures`` holds the report's values and labels, ``recount`` recounts it from the
audit trail, ``writers`` prints it as PDF, CSV and XLSX. ``signin`` builds a session's bidder sign-in sheet
(投标人签到表) and ``signin_writers`` prints it as PDF and XLSX.
"""

from tenderguard.reports.daily import daily_report
from tenderguard.reports.figures import (
    FIGURES,
    DailyReport,
    DeskFigures,
    Figures,
    HourlyArrivals,
    SessionFigures,
)
from tenderguard.reports.recount import reconcile
from tenderguard.reports.signin import SigninRow, SigninSession, SigninSheet
from tenderguard.reports.signin_writers import render_signin_html, write_signin_pdf, write_signin_xlsx
from tenderguard.reports.writers import render_report_html, write_report_csv, write_report_pdf, write_report_xlsx

__all__ = [
    "FIGURES",
    "DailyReport",
    "DeskFigures",
    "Figures",
    "HourlyArrivals",
    "SessionFigures",
    "SigninRow",
    "SigninSession",
    "SigninSheet",
    "daily_report",
    "reconcile",
    "render_report_html",
    "render_signin_html",
    "write_report_csv",
    "write_report_pdf",
    "write_report_xlsx",
    "write_signin_pdf",
    "write_signin_xlsx",
]
