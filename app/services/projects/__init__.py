"""Projects and tasks (tasks.py), who sees what (access.py), notifications (notify.py), business processes
(processes.py) and the calendar export and reminders (calendar.py)."""
