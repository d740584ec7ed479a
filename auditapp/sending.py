"""Sending a stored file (an attachment, a PDF) from whichever store keeps it (auditapp/storage.py), for
every web client of the app (the JSON API, pages):

- the folder backend: `send_file`, with conditional requests and ranges as before;
- S3: streamed through the app in chunks (the object never sits in memory whole), or, with
  S3_PRESIGNED_DOWNLOADS, a 302 to a short-lived presigned URL that the client fetches from the store.
"""
from __future__ import annotations

from flask import Response, current_app, redirect, request, send_file
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response as BaseResponse

from . import storage
from .errors import NotFound


def send_stored(store: storage.ObjectStore, key: str, *, etag: str, content_type: str, download_name: str,
                missing: str) -> BaseResponse:
    """The object as a response; `etag` is its SHA-256; a 404 with the message `missing` when it is gone."""
    config = current_app.config
    response: BaseResponse
    if config.get("S3_PRESIGNED_DOWNLOADS") and store.backend == "s3":
        url = store.presigned_url(key, expires=int(config["S3_PRESIGNED_EXPIRY_SECONDS"]),
                                  content_type=content_type, download_name=download_name)
        if url is not None:
            response = redirect(url, 302)
            # The URL expires: no cache may keep the redirect longer than the request that asked for it.
            response.headers["Cache-Control"] = "no-store"
            return response
    path = store.local_path(key)
    if path is not None:
        response = send_file(path, mimetype=content_type, conditional=True, etag=etag,
                             download_name=download_name)
    elif request.if_none_match.contains(etag):
        response = Response(status=304)  # content-addressed: the same ETag is the same bytes, unread
        response.set_etag(etag)
    else:
        try:
            reader = store.open(key)
        except storage.MissingObject:
            raise NotFound(missing) from None
        headers = Headers()
        headers.set("Content-Disposition", "inline", filename=download_name)
        response = Response(iter(reader), mimetype=content_type, headers=headers, direct_passthrough=True)
        response.content_length = reader.size
        response.set_etag(etag)
        response.call_on_close(reader.close)
    return response
