"""SLA stage: business-time clocks for helpdesk tickets (policy, calendars, engine, summary; task.py wraps them)."""
