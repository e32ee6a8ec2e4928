"""The worker's recount of the province's and cities' 数据统计 (app/reports/summary.py)."""
from app.jobs.queue import periodic
from app.reports import summary


@periodic({"minute": f"*/{summary.SUMMARY_MINUTES}"})
def refresh_stats_summary() -> None:
    """Recount the stored 数据统计 of the province and the cities."""
    summary.refresh()
