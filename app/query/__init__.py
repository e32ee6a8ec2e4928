"""综合查询 (manual §2.7): combined conditions over every person field and step date."""
