"""A stand-in for the 党员信息管理系统 (member registry), for integrators and the tests.

It receives the events this system sends (``POST /events``), verifies their HMAC-SHA256 signature, stores
each once by its idempotency key, and lists them (``GET /events``); the e支部 党务公开 notices likewise on
``/estation/notices`` (signed with ESTATION_SECRET, ``--estation-secret``); ``POST /control/fail`` makes the next
n deliveries fail with 503, to watch the retries. Its client (client.py) sends 减少 and 组织关系转接 to this
system's API like the real registry would. Run ``python -m registry_sim --help``.
"""
