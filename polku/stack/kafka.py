"""The embedded Apache Kafka broker (KRaft, on the machine's Java) and its readiness probe."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from polku.stack.kafka_secure import Acl, SecureListener, grant
from polku.stack.processes import (
    StackError,
    _end,
    _live,
    _OwnerLock,
    _spawn,
    _stale_pid,
    _wait_until,
    free_port,
    port_in_use,
)

KAFKA_ASSETS = Path(__file__).resolve().parents[2] / "deploy" / "kafka"

JAVA_MISSING = (
    "Java 17+ is needed for the embedded Apache Kafka: install a JDK 17 "
    "(apt-get install openjdk-17-jre-headless) or set KAFKA_BOOTSTRAP_SERVERS to a running broker."
)
MAVEN_MISSING = (
    "Maven is needed once to fetch the Apache Kafka jars for the embedded broker: install it "
    "(apt-get install maven) or set KAFKA_BOOTSTRAP_SERVERS to a running broker."
)


async def kafka_ready(bootstrap_servers: str) -> bool:
    """True once the broker answers metadata and can create and delete a topic."""
    from aiokafka.admin import NewTopic

    from services.runtime.kafka_clients import KafkaConnection

    host, _, port = bootstrap_servers.split(",")[0].rpartition(":")
    if not port_in_use(host, int(port)):  # spares the client's connection-error logs
        return False
    admin = KafkaConnection(bootstrap_servers).admin(
        request_timeout_ms=5000, client_id="polku-stack-probe"
    )
    probe = f"__polku_probe_{uuid.uuid4().hex[:8]}"
    try:
        await admin.start()
        await admin.create_topics([NewTopic(probe, 1, 1)], timeout_ms=5000)
        await admin.delete_topics([probe], timeout_ms=5000)
        return True
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


class EmbeddedKafka:
    """One Apache Kafka node in KRaft combined mode (broker and controller), data in
    `<state_dir>/kafka`; topics and messages survive stop() and start()."""

    def __init__(
        self,
        state_dir: Path | str,
        port: int = 9092,
        heap: str = "512m",
        *,
        host: str = "127.0.0.1",
        lib_dir: Path | None = None,
        assets: Path = KAFKA_ASSETS,
        auto_create_topics: bool = False,
        startup_timeout: float = 60.0,
        secure: SecureListener | None = None,
    ) -> None:
        self.root = Path(state_dir).resolve() / "kafka"
        self.port, self.heap, self.host = port, heap, host
        self.lib_dir = (lib_dir or self.root / "lib").resolve()
        self.pom, self.log4j = assets / "pom.xml", assets / "log4j2.properties"
        self.auto_create_topics = auto_create_topics
        self.startup_timeout = startup_timeout
        self.secure = secure  # an optional TLS + SCRAM listener with ACLs (kafka_secure.py)
        self.data_dir = self.root / "data"
        self.config_path = self.root / "server.properties"
        self.log_path = self.root / "server.log"
        self.pid_path = self.root / "kafka.pid"
        self._lock = _OwnerLock(self.root / "owner.lock")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        if self.running:
            return
        java = self._java()
        self.root.mkdir(parents=True, exist_ok=True)
        if not self._lock.acquire():
            raise StackError(
                f"another process (pid {self._lock.holder()}) runs the broker of "
                f"{self.root}; stop it or use another POLKU_STATE_DIR"
            )
        try:
            self._end_stale()
            if port_in_use(self.host, self.port):
                raise StackError(
                    f"port {self.port} is taken: stop what listens there, set "
                    "POLKU_KAFKA_PORT, or set KAFKA_BOOTSTRAP_SERVERS to a broker"
                )
            self._ensure_jars()
            self._write_config()
            self._format(java)
            self._launch(java)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 30.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            _end(proc.pid, [(signal.SIGTERM, timeout), (signal.SIGKILL, 10)], group=True, proc=proc)
            self.pid_path.unlink(missing_ok=True)
        _live.discard(self)
        self._lock.release()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise StackError(JAVA_MISSING)
        out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
        found = re.search(r'version "(\d+)(?:\.(\d+))?', out)
        major = int(found[1]) if found else 0
        major = int(found[2] or 0) if found and major == 1 else major
        if major < 17:
            raise StackError(f"{JAVA_MISSING} (found: {out.splitlines()[0] if out else java})")
        return java

    def _ensure_jars(self) -> None:
        """Fetch the pinned jars with Maven once; the stamp is the POM's hash."""
        stamp = self.lib_dir / ".pom.sha256"
        digest = hashlib.sha256(self.pom.read_bytes()).hexdigest()
        if stamp.exists() and stamp.read_text() == digest:
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise StackError(MAVEN_MISSING)
        self.lib_dir.parent.mkdir(parents=True, exist_ok=True)
        guard = _OwnerLock(self.lib_dir.parent / ".lib.lock")
        while not guard.acquire():  # another process is fetching: wait for it
            time.sleep(0.2)
        try:
            if stamp.exists() and stamp.read_text() == digest:
                return
            fetched = Path(tempfile.mkdtemp(prefix=".lib-", dir=self.lib_dir.parent))
            result = subprocess.run(
                [
                    mvn,
                    "-q",
                    "-B",
                    "-Dstyle.color=never",
                    "-f",
                    str(self.pom),
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={fetched}",
                    "-DincludeScope=runtime",
                ],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                shutil.rmtree(fetched, ignore_errors=True)
                raise StackError(
                    f"Maven could not fetch the Kafka jars ({self.pom}):\n"
                    f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
                )
            shutil.rmtree(self.lib_dir, ignore_errors=True)
            fetched.rename(self.lib_dir)
            stamp.write_text(digest)
        finally:
            guard.release()

    def _write_config(self) -> None:
        cport_file = self.root / "controller.port"
        cport = int(cport_file.read_text()) if cport_file.exists() else 0
        if not cport or port_in_use(self.host, cport):
            cport = free_port(self.host)
            cport_file.write_text(str(cport))
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{cport}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{cport}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            # A 2-core development machine: few threads, one replica, three partitions.
            "num.network.threads": "2",
            "num.io.threads": "2",
            "background.threads": "2",
            "num.recovery.threads.per.data.dir": "1",
            "num.partitions": "3",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # The log cleaner allocates its dedupe buffer (128 MiB by default) at start: with
            # the small heaps of a test broker that was an OutOfMemoryError. Compacted topics
            # here are small (consumer offsets), 16 MiB is ample.
            "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
            # Services create their topics explicitly; a typo must not create a new topic.
            "auto.create.topics.enable": str(self.auto_create_topics).lower(),
            "delete.topic.enable": "true",
        }
        if self.secure is not None:
            self.secure.configure(props, self.root)
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))

    def _classpath(self) -> str:
        return f"{self.lib_dir}/*"

    def _format(self, java: str) -> None:
        if (self.data_dir / "meta.properties").exists():
            return  # formatted before: keep the topics
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode()[:22]
        result = subprocess.run(
            [
                java,
                "-Xmx256m",
                f"-Dlog4j2.configurationFile={self.log4j}",
                "-cp",
                self._classpath(),
                "kafka.tools.StorageTool",
                "format",
                "--ignore-formatted",
                # '=' form: a random id may start with '-'
                f"--cluster-id={cluster_id}",
                f"--config={self.config_path}",
                *(self.secure.format_arguments() if self.secure is not None else ()),
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise StackError(
                f"formatting the Kafka storage failed:\n{result.stdout}{result.stderr}"
            )

    def _launch(self, java: str) -> None:
        cmd = [
            java,
            "-Xms128m",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.log4j}",
            f"-Dkafka.logs.dir={self.root}",
            "-cp",
            self._classpath(),
            "kafka.Kafka",
            str(self.config_path),
        ]
        with self.log_path.open("ab") as log:
            log.write(f"\n==== polku: starting kafka.Kafka at {time.ctime()}\n".encode())
            log.flush()
            self._proc = _spawn(cmd, log=log, death_signal=signal.SIGKILL)
        self.pid_path.write_text(f"{self._proc.pid}\n")
        _live.add(self)
        _wait_until(
            self._answers,
            timeout=self.startup_timeout,
            log=self.log_path,
            what=f"the embedded Kafka broker on {self.bootstrap_servers}",
            proc=self._proc,
        )

    def grant(self, acls: list[Acl]) -> None:
        """Create ACLs for the secured listener's users (see kafka_secure.py)."""
        grant(self._java(), self._classpath(), self.log4j, self.bootstrap_servers, acls)

    async def _answers(self) -> bool:
        return await kafka_ready(self.bootstrap_servers)

    def _end_stale(self) -> None:
        pid = _stale_pid(self.pid_path, str(self.config_path))
        if pid is not None:
            _end(pid, [(signal.SIGTERM, 20), (signal.SIGKILL, 10)], group=True)
        self.pid_path.unlink(missing_ok=True)
