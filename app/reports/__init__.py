"""数据统计 (manual §2.8): seven views of the persons in scope, six charts each, counted in SQL."""
