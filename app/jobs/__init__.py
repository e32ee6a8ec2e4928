"""后台任务: the huey job queue (queue.py), job rows with progress (models.py, progress.py), the long tasks that
run on it (tasks.py: 核验, 导出) and the page that polls a job (views.py)."""
