"""The HTTP service over the library (``ogi-workflow serve``): docs/service.md.

Needs the ``service`` extra (FastAPI, uvicorn, httpx): ``pip install 'ogi-workflow[service]'``.
"""

from __future__ import annotations
