"""Reports on a bid-opening day, computed from the stored records: the daily report (日报)."""

from tenderguard.reports.daily import (
    FIGURES,
    REASON_LABELS,
    DailyReport,
    DeskFigures,
    Figures,
    HourlyArrivals,
    SessionFigures,
    daily_report,
    reconcile,
    render_report_html,
    write_report_csv,
    write_report_pdf,
    write_report_xlsx,
)

__all__ = [
    "FIGURES",
    "REASON_LABELS",
    "DailyReport",
    "DeskFigures",
    "Figures",
    "HourlyArrivals",
    "SessionFigures",
    "daily_report",
    "reconcile",
    "render_report_html",
    "write_report_csv",
    "write_report_pdf",
    "write_report_xlsx",
]
