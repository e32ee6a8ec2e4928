"""计划分配 (manual §2.5): yearly development quotas handed down the organisation tree."""
