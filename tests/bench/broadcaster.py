"""The bare broadcaster: a minimal `websockets` server that sends every message of one Redis
pub/sub channel to every connected socket. The fan-out benchmark's baseline: what pushing the same
frames to the same clients costs with no Django, no Channels and no authentication.

Run: python -m tests.bench.broadcaster --port 8765 --redis redis://127.0.0.1:6379/12 --channel bench
"""

import argparse
import asyncio
import json
import signal

import redis.asyncio as aioredis
from websockets.asyncio.server import ServerConnection, broadcast, serve

RESUMED = json.dumps({"type": "resumed", "last": 0})


async def main(port: int, url: str, channel: str) -> None:
    clients: set[ServerConnection] = set()

    async def handler(socket: ServerConnection) -> None:
        clients.add(socket)
        try:
            async for message in socket:
                # The board's client sends resume first and pings later: answer like the portal.
                kind = json.loads(message).get("type")
                await socket.send(RESUMED if kind == "resume" else json.dumps({"type": "pong"}))
        finally:
            clients.discard(socket)

    client = aioredis.Redis.from_url(url)
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, compression=None, ping_interval=None):
        print(f"broadcaster on {port}", flush=True)
        reader = asyncio.create_task(relay(pubsub, clients))
        await stop
        reader.cancel()
    await client.aclose()


async def relay(pubsub: aioredis.client.PubSub, clients: set[ServerConnection]) -> None:
    async for item in pubsub.listen():
        if item["type"] == "message":
            broadcast(clients, item["data"].decode())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--channel", required=True)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.port, arguments.redis, arguments.channel))
