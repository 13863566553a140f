"""A Java client generated from docs/openapi.json by an independent generator (openapi-generator,
library ``native``: the JDK's java.net.http and Jackson) drives the quick start against a live
server: tests/java/QuickStart.java, compiled with the generated sources by the JDK's javac.

Needs a JDK (Debian's default-jdk-headless) and Jakarta Annotations (Debian's
libjakarta-annotation-api-java, for the generated ``@Generated``/``@Nonnull``); .ci/run installs
both. Jackson, with its java.time module, which Debian does not package, comes from the
generator's own jar (the PyPI package openapi-generator-cli bundles them). Outside CI the test
is skipped when these are missing; under CI it fails instead.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path
from typing import NamedTuple, NoReturn

import pytest
from conftest import AGENCY, application, fixed_clock, open_staffed
from test_service import OPENAPI, _Server, tokens_for

from ogi_workflow import Workflow
from ogi_workflow.service.app import create_app

pytestmark = pytest.mark.external

MAIN = Path(__file__).with_name("java") / "QuickStart.java"
ANNOTATIONS = Path("/usr/share/java/jakarta-annotation-api.jar")
# The Jackson parts the generated client imports, as bundled in the generator's jar.
JACKSON = tuple(
    f"com/fasterxml/jackson/{part}/"
    for part in ("annotation", "core", "databind", "datatype/jsr310")
)

# Each JVM here runs for seconds: the client compiler alone (C1) halves their CPU time.
JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


class Java(NamedTuple):
    java: str
    classpath: str


def _missing(what: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the Java client test: {what}")
    pytest.skip(what)


@pytest.fixture(scope="module")
def java_client(tmp_path_factory: pytest.TempPathFactory) -> Java:
    """The generated client and QuickStart, compiled: the ``java`` to run them and the classpath."""
    java, javac = shutil.which("java"), shutil.which("javac")
    if java is None or javac is None:
        _missing("no JDK on PATH (Debian: default-jdk-headless)")
    if not ANNOTATIONS.is_file():
        _missing(f"no {ANNOTATIONS} (Debian: libjakarta-annotation-api-java)")
    generator = (
        Path(str(importlib.resources.files("openapi_generator_cli"))) / "openapi-generator.jar"
    )
    assert generator.is_file(), "openapi-generator-cli is a test dependency"
    folder = tmp_path_factory.mktemp("java-client")
    generated = subprocess.run(
        [java, *JVM, "-jar", str(generator), "generate", "-g", "java", "--library", "native",
         "-i", str(OPENAPI), "-o", str(folder / "generated"),
         "--invoker-package", "ogi.client", "--api-package", "ogi.client.api",
         "--model-package", "ogi.client.model",
         "--additional-properties", "openApiNullable=false,useJakartaEe=true,"
         "annotationLibrary=none,hideGenerationTimestamp=true",
         "--global-property", "apis,models,supportingFiles,apiTests=false,modelTests=false,"
         "apiDocs=false,modelDocs=false"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stdout + generated.stderr
    jackson = folder / "jackson.jar"
    with zipfile.ZipFile(generator) as bundle, zipfile.ZipFile(jackson, "w") as out:
        for entry in bundle.infolist():
            if entry.filename.startswith(JACKSON) and not entry.is_dir():
                out.writestr(entry, bundle.read(entry))
    sources = sorted(str(p) for p in (folder / "generated" / "src" / "main").rglob("*.java"))
    assert len(sources) > 100, "the generator wrote one class per schema and per tag"
    classes = folder / "classes"
    classpath = os.pathsep.join([str(jackson), str(ANNOTATIONS)])
    compiled = subprocess.run(
        [javac, *(f"-J{flag}" for flag in JVM), "-encoding", "UTF-8", "-nowarn",
         "-d", str(classes), "-cp", classpath, *sources, str(MAIN)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    return Java(java, os.pathsep.join([str(classes), classpath]))


def _quick_start(java: Java, db_url: str, folder: Path, version: str) -> list[str]:
    """QuickStart's output lines against a live server on ``db_url``, its client speaking
    ``version`` ("http/1.1" or "jdk-default"); fails the test when it exits non-zero."""
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        tokens = tokens_for(wf)
    # Java's OffsetDateTime needs an offset: 09:30 Beijing time, as the server reads it.
    body = application("2026-03-02T09:30:00+08:00")
    given = folder / "quick-start.json"
    with _Server(create_app(db_url, clock=fixed_clock)) as url:
        given.write_text(
            json.dumps({"url": url, "tokens": tokens, "application": body}), encoding="utf-8"
        )
        ran = subprocess.run(
            [java.java, *JVM, "-cp", java.classpath, "QuickStart", str(given), version],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
    assert ran.returncode == 0, ran.stderr.decode("utf-8", "replace")
    return ran.stdout.decode("utf-8").splitlines()


def test_a_generated_java_client_runs_the_quick_start(
    java_client: Java, db_url: str, tmp_path: Path
) -> None:
    lines = _quick_start(java_client, db_url, tmp_path, "http/1.1")
    rid = int(lines[0].removeprefix("id "))
    with Workflow.open(db_url, clock=fixed_clock) as wf:
        request = wf.get(rid)
        log = wf.events(rid)
    assert request.state == "archived"
    assert request.reg_no == "2026-0001"
    assert request.received_on == date(2026, 3, 2)
    assert [e.actor for e in log[:3]] == ["窗口", "登记员", "李明"]
    # Every event the database holds, decoded by the client into its own generated class.
    events = [
        f"event {e.seq} {''.join(w.capitalize() for w in e.event.split('_'))}Event {e.event} "
        f"{e.actor} {e.state_after} {e.on.isoformat()}"
        for e in log
    ]
    assert len(events) == 8
    assert lines[1:] == [
        "receive received v1",
        "register registered v2",
        "reg_no 2026-0001 due 2026-03-30",
        "start_handling handling v3",
        "submit_for_review handling v4",  # the review chain runs while handling
        "approve handling v5",
        "approve handling v6",
        "reply replied v7",
        "replied_on 2026-03-19 outcome disclosed",
        "archive archived v8",
        "archive again 409 409 urn:ogi-workflow:problem:transition",
        *events,
        "handler 李明",
        "submitted disclosed 复制件1份",
    ]


def test_the_jdks_default_http_client_runs_the_quick_start(
    java_client: Java, tmp_path: Path
) -> None:
    """The JDK's HttpClient as built, offering cleartext HTTP/2 (Upgrade: h2c) on every
    call: the server must still read each POST's body (service/protocol.py)."""
    lines = _quick_start(java_client, f"sqlite:///{tmp_path / 'ogi.db'}", tmp_path, "jdk-default")
    assert lines[-1] == "submitted disclosed 复制件1份"
