"""历史库 (manual §2.11): persons no longer in development, with 恢复发展 and 重新发展."""
