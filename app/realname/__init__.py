"""实名校验 (manual §2.10): applicants who fail the public-security real-name check."""
