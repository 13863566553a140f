"""A client generated from docs/openapi.json by an independent generator
(openapi-python-client) drives the quick start against a live server: the published spec is
enough to write a working client."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from types import ModuleType
from typing import Any

import pytest
from conftest import AGENCY, application, fixed_clock, open_staffed
from test_service import OPENAPI, _Server, tokens_for

from ogi_workflow.service.app import create_app

pytestmark = pytest.mark.external


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The package ``ogi_generated`` written by openapi-python-client from the spec."""
    tool = shutil.which("openapi-python-client")
    assert tool is not None, "openapi-python-client is a test dependency"
    folder = tmp_path_factory.mktemp("client")
    subprocess.run(
        [tool, "generate", "--path", str(OPENAPI), "--meta", "none", "--output-path",
         str(folder / "ogi_generated")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    sys.path.insert(0, str(folder))
    try:
        yield "ogi_generated"
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m.startswith("ogi_generated")]:
            del sys.modules[name]


def _module(package: str, name: str) -> ModuleType:
    return importlib.import_module(f"{package}.{name}")


def test_a_generated_client_runs_the_quick_start(generated: str, db_url: str) -> None:
    models = _module(generated, "models")
    client_module = _module(generated, "client")
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        tokens = tokens_for(wf)

    def act(client: Any, name: str, rid: int, **body: Any) -> Any:
        endpoint = _module(generated, f"api.actions.{name}")
        model = getattr(models, "".join(p.capitalize() for p in name.split("_")) + "Body")
        answer = endpoint.sync(rid, client=client, body=model.from_dict(body))
        assert isinstance(answer, models.RequestView), answer
        return answer

    with _Server(create_app(db_url, clock=fixed_clock)) as url, ExitStack() as stack:
        clients = {
            login: stack.enter_context(client_module.AuthenticatedClient(base_url=url, token=t))
            for login, t in tokens.items()
        }
        receive = _module(generated, "api.requests.receive")
        created = receive.sync(
            client=clients["窗口"],
            body=models.Application.from_dict(application("2026-03-02T09:30")),
            idempotency_key="quick-start-1",
        )
        assert isinstance(created, models.RequestView), created
        rid = created.id
        assert act(clients["登记员"], "register", rid, on="2026-03-02").reg_no == "2026-0001"
        act(clients["李明"], "start_handling", rid, on="2026-03-02")
        act(
            clients["李明"], "submit_for_review", rid, outcome="disclosed",
            details={"provided": "复制件1份"}, on="2026-03-18",
        )  # fmt: skip
        for who in ("审核员", "王主任"):
            act(clients[who], "approve", rid, opinion="同意", on="2026-03-19")
        replied = act(clients["李明"], "reply", rid, on="2026-03-19")
        assert replied.state == models.State.REPLIED
        archived = act(clients["登记员"], "archive", rid, on="2026-03-20")
        assert archived.state == models.State.ARCHIVED
        problem = _module(generated, "api.actions.archive").sync(
            rid, client=clients["登记员"], body=models.ArchiveBody.from_dict({})
        )
        assert isinstance(problem, models.Problem)
        assert problem.status == 409
        # The log comes back as one generated class per event type, payloads typed.
        log = _module(generated, "api.requests.events").sync(rid, client=clients["李明"])
        assert isinstance(log, list)
        assert [type(e).__name__ for e in log][:3] == [
            "ReceiveEvent",
            "RegisterEvent",
            "StartHandlingEvent",
        ]
        assert log[2].payload.handler == "李明"
