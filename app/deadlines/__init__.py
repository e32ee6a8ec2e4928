"""期限提醒: due dates of tasks read from the diagram (rules.py), shown in 待办事项, and the worker's daily
SMS reminder sent once per deadline (reminders.py, tasks.py)."""
