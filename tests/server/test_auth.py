"""Every REST route refuses unauthenticated requests; the kernel token only publishes."""

import re
import warnings

import pytest
from jupyter_server.serverapp import ServerApp
from jupyter_server.utils import JupyterServerAuthWarning
from tornado.httpclient import HTTPClientError

from jupyterlab_dotscience.routes import route_table

VERBS = ("get", "post", "put", "patch", "delete")
SAMPLES = {"sha256": "ab" * 32, "version": "1"}
SAMPLE = "0f8fad5b-d9cb-469f-a165-70867728950e"


def concrete(pattern: str) -> str:
    """Turn a route regex into a URL path that matches it."""
    path = re.sub(r"\((?:\?P<(\w+)>)?[^()]*\)", lambda m: SAMPLES.get(m.group(1), SAMPLE), pattern)
    assert re.fullmatch(pattern, path), (pattern, path)
    return path.lstrip("/")


def cases():
    for pattern, handler, *_ in route_table():
        for verb in VERBS:
            if verb in vars(handler) or any(
                verb in vars(b)
                for b in handler.__mro__[1:-1]
                if b.__module__.startswith("jupyterlab_dotscience")
            ):
                yield pytest.param(pattern, verb.upper(), id=f"{verb.upper()} {pattern}")


def test_route_table_is_not_empty():
    # Given the extension's route table / Then it has routes to walk
    assert len(list(cases())) >= 1


@pytest.mark.parametrize(("pattern", "method"), list(cases()))
async def test_route_refuses_anonymous(
    jp_serverapp, http_server_client, jp_base_url, pattern, method
):
    # Given a request with no cookie and no token
    url = jp_base_url + concrete(pattern)
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    # When it reaches the route
    with pytest.raises(HTTPClientError) as err:
        await http_server_client.fetch(url, method=method, body=body, follow_redirects=False)
    # Then it is refused before the handler runs
    assert err.value.code in (401, 403), f"{method} {url} answered {err.value.code}"


def unpublished_cases():
    """Every route and verb the kernel's publish token may not call."""
    handlers = {pattern: handler for pattern, handler, *_ in route_table()}
    for case in cases():
        pattern, method = case.values
        if method.lower() not in handlers[pattern].publish_verbs:
            yield case


@pytest.mark.parametrize(("pattern", "method"), list(unpublished_cases()))
async def test_kernel_token_cannot_read(
    jp_serverapp, http_server_client, jp_base_url, pattern, method
):
    # Given the publish token that kernels receive
    app = jp_serverapp.extension_manager.extension_apps["jupyterlab_dotscience"]
    token = next(iter(app)).kernel_token
    # When a kernel uses it on any route and verb but publishing (the CSV exports among them)
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    with pytest.raises(HTTPClientError) as err:
        await http_server_client.fetch(
            jp_base_url + concrete(pattern), method=method, body=body,
            headers={"Authorization": f"token {token}"}, follow_redirects=False,
        )  # fmt: skip
    # Then it is refused
    assert err.value.code == 403, f"{method} {pattern} answered {err.value.code}"


def test_no_handler_lacks_an_auth_decorator(tmp_path):
    # Given a server that forbids unauthenticated access, loading only this extension
    app = ServerApp(
        allow_unauthenticated_access=False,
        jpserver_extensions={"jupyterlab_dotscience": True},
        reraise_server_extension_failures=True,
        root_dir=str(tmp_path),
    )
    # When it initialises
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        app.initialize(argv=[], find_extensions=False, new_httpserver=False)
    # Then jupyter_server found no route without authentication
    problems = [str(r.message) for r in records if issubclass(r.category, JupyterServerAuthWarning)]
    assert problems == []
