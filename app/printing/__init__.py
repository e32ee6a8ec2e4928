"""采集表 (collection forms): print-ready A4 HTML per stage and PDF rendering with Chinese fonts."""
