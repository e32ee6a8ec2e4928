"""URLs every page's layout prints that never change for a worker (stylesheet, scripts, icon, 退出): built once
per script root rather than by the URL map on every page."""
from flask import request, url_for

# Keys come from the templates' literal arguments, so the table stays small; the bound guards against misuse.
_LIMIT = 256
_URLS: dict[tuple, str] = {}


def fixed_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` for a URL that depends on nothing but its arguments (a static file, a page
    without parameters), remembered per script root."""
    key = (request.script_root, endpoint, tuple(sorted(values.items())))
    url = _URLS.get(key)
    if url is None:
        url = url_for(endpoint, **values)
        if len(_URLS) < _LIMIT:
            _URLS[key] = url
    return url
