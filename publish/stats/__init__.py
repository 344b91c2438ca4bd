"""View statistics: the tracked set, unattended collection, history, exports and reports.

collect.py fetches from the API, store.py saves and queries SQLite, report.py draws the HTML
report, schedule.py prints cron and systemd entries. Call `store.track()` when publishing.
"""
