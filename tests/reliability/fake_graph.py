"""A fake Graph API for the reliability suite: it records every comment hidden or deleted.

Serves what ingest's Facebook client calls for moderation's actions (`POST /{version}/{comment}`
with `is_hidden`, `DELETE /{version}/{comment}`, `POST /{version}/{comment}/comments`) and
answers as the Graph API does. `GET /fake/calls` returns, per comment and action, how many times
it was asked: an action asked twice is a double effect on the network. Run it with
`python -m uvicorn fake_graph:app --app-dir tests/reliability` (one process: the calls live in
its memory).
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

calls: Counter[str] = Counter()


async def comment(request: Request) -> Response:
    node = request.path_params["node"]
    if request.method == "DELETE":
        calls[f"delete:{node}"] += 1
        return JSONResponse({"success": True})
    form = parse_qs((await request.body()).decode())
    if form.get("is_hidden") == ["true"]:
        calls[f"hide:{node}"] += 1
        return JSONResponse({"success": True})
    return JSONResponse({"error": {"code": 100, "message": "unsupported"}}, status_code=400)


async def reply(request: Request) -> Response:
    node = request.path_params["node"]
    calls[f"reply:{node}"] += 1
    return JSONResponse({"id": f"{node}_reply_{calls[f'reply:{node}']}"})


async def recorded(request: Request) -> Response:
    return JSONResponse(dict(calls))


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/fake/calls", recorded, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/{version}/{node}/comments", reply, methods=["POST"]),
        Route("/{version}/{node}", comment, methods=["POST", "DELETE"]),
    ]
)
