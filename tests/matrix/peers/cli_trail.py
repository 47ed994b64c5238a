"""A real NoETL producer end to end: the NoETL CLI's `noetl subscribe` fed through JetStream.

Creates a stream and a durable pull consumer on the given nats-server, publishes the messages
(one of them makes a playbook step fail), runs `noetl subscribe` until it has taken them all,
and leaves the event trail it wrote (one envelope per line) at the path given.

    python tests/matrix/peers/cli_trail.py NOETL NATS_URL TRAIL
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).parent
MESSAGES = (
    {"order_id": "1001", "amount": "12.50", "exit_code": "0"},
    {"order_id": "1002", "amount": "7.00", "exit_code": "3"},  # the settle step fails
    {"order_id": "1003", "amount": "99.99", "exit_code": "0"},
)
SUBSCRIPTION = """\
apiVersion: noetl.io/v1
kind: Subscription
metadata:
  name: orders
spec:
  source: nats
  url: {url}
  stream: {stream}
  consumer: {consumer}
  runtime:
    batch: 50
    timeout_ms: 2000
  dispatch:
    playbook: {playbook}
    payload_from: message.json
    execution_pool: local
"""


async def _feed(url: str, stream: str, subject: str, consumer: str) -> None:
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    client = await nats.connect(url, connect_timeout=5)
    try:
        js = client.jetstream()
        await js.add_stream(name=stream, subjects=[subject])
        config = ConsumerConfig(
            durable_name=consumer, ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL
        )
        await js.add_consumer(stream, config)
        for message in MESSAGES:
            await js.publish(subject, json.dumps(message).encode())
    finally:
        await client.close()


async def _drop(url: str, stream: str) -> None:
    import nats

    client = await nats.connect(url, connect_timeout=5)
    try:
        await client.jetstream().delete_stream(stream)
    finally:
        await client.close()


def run(
    noetl: str, nats_url: str, trail: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    parts = urlsplit(nats_url)
    url = f"nats://{parts.hostname}:{parts.port or 4222}"
    tag = uuid.uuid4().hex[:8]
    stream, consumer, subject = f"ORDERS_{tag}", f"orders-cli-{tag}", f"orders.{tag}.in"
    asyncio.run(_feed(url, stream, subject, consumer))
    try:
        with tempfile.TemporaryDirectory() as work:
            spec = Path(work) / "subscription.yaml"
            spec.write_text(
                SUBSCRIPTION.format(
                    url=url, stream=stream, consumer=consumer,
                    playbook=HERE / "process_order.yaml",
                )
            )  # fmt: skip
            return subprocess.run(
                [noetl, "subscribe", str(spec), "--events", str(trail),
                 "--max-messages", str(len(MESSAGES))],
                capture_output=True, text=True, timeout=timeout, cwd=work, check=False,
            )  # fmt: skip
    finally:
        asyncio.run(_drop(url, stream))


if __name__ == "__main__":
    done = run(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
    sys.stderr.write(done.stderr)
    sys.exit(done.returncode)
