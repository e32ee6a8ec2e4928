"""逻辑校验 (manual §2.9): a catalogue of checks on stored records, counts per organisation, person lists."""
