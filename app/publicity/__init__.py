"""党务公开: the public board of publicity notices (公示) of the development procedure (manual §2.3.8 (2))."""
