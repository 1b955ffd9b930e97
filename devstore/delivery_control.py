"""`/_sim/shops/{shop}/webhooks/batch` and `/_sim/shops/{shop}/traffic`: disordered deliveries
(duplicates, reordering, delays) driven from another process, as `replay()` offers in Python."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devstore.disorder import Disorder
from devstore.traffic import TrafficEvent, TrafficGenerator, TrafficSettings, replay
from devstore.webhooks import Delivery

if TYPE_CHECKING:
    from devstore.server import Simulator

# The traffic settings a caller may choose (the start is the simulator's clock).
_TRAFFIC_NUMBERS = {f.name for f in fields(TrafficSettings)} - {"start", "seed"}
_TRAFFIC_COUNTS = {f.name for f in fields(TrafficSettings) if f.type in (int, "int")} - {"seed"}


class BadRequest(ValueError):
    """A control request the simulator cannot act on; answered 400 with the reason."""


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    return {
        "webhook_id": delivery.webhook_id,
        "event_id": delivery.event_id,
        "shop": delivery.shop,
        "topic": delivery.topic,
        "url": delivery.url,
        "delivered": delivery.delivered,
        "attempts": [
            {
                "number": a.number,
                "status": a.status,
                "latency": a.latency,
                "error": a.error,
                "after": a.after,
                "duplicate": a.duplicate,
            }
            for a in delivery.attempts
        ],
    }


async def _object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        loaded = json.loads(raw or b"{}")
    except ValueError:
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(loaded, dict):
        raise BadRequest("the body must be a JSON object")
    return loaded


def _shop(sim: Simulator, request: Request) -> str:
    name = request.path_params["shop"]
    try:
        return sim.shop(name).domain
    except (KeyError, ValueError):
        raise BadRequest(f"no shop {name!r}") from None


def _disorder(body: dict[str, Any]) -> Disorder:
    try:
        return Disorder.from_json(body.get("disorder"))
    except ValueError as error:
        raise BadRequest(str(error)) from None


def _traffic_settings(sim: Simulator, body: dict[str, Any]) -> TrafficSettings:
    wanted = {key: value for key, value in body.items() if key not in {"disorder", "seed"}}
    unknown = sorted(set(wanted) - _TRAFFIC_NUMBERS)
    if unknown:
        raise BadRequest(f"unknown traffic settings: {', '.join(unknown)}")
    for key, value in wanted.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadRequest(f"{key} must be a number")
    seed = body.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise BadRequest("seed must be a whole number")
    # Counts stay whole numbers (lapsed_customers); rates and spans are floats.
    numbers: dict[str, Any] = {
        key: int(value) if key in _TRAFFIC_COUNTS else float(value) for key, value in wanted.items()
    }
    return TrafficSettings(seed=seed, start=sim.clock.now(), **numbers)


class DeliveryControl:
    """The handlers; each answers 400 with `{"error": ...}` on a request it cannot act on."""

    def __init__(self, simulator: Simulator) -> None:
        self.sim = simulator

    async def send_batch(self, request: Request) -> Response:
        """`{"webhooks": [{"topic", "payload"}...], "disorder": {...}}`: delivered in one go."""
        try:
            body = await _object(request)
            shop = _shop(self.sim, request)
            disorder = _disorder(body)
            items = body.get("webhooks")
            if not isinstance(items, list) or not items:
                raise BadRequest("webhooks must be a non-empty list of {topic, payload}")
            now = self.sim.clock.now()
            events = []
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("topic"), str):
                    raise BadRequest("each webhook needs a topic")
                if not isinstance(item.get("payload"), dict):
                    raise BadRequest("each webhook needs a payload object")
                events.append(TrafficEvent(now, item["topic"], item["payload"]))
        except BadRequest as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        deliveries = await replay(events, self.sim, shop, disorder=disorder)
        return JSONResponse({"deliveries": [delivery_view(d) for d in deliveries]})

    async def replay_traffic(self, request: Request) -> Response:
        """`{"seed", "days", "sessions_per_day", ..., "disorder": {...}}`: a seeded stretch of
        store traffic from now on, replayed as fast as it goes; answers what was sent."""
        try:
            body = await _object(request)
            shop = _shop(self.sim, request)
            disorder = _disorder(body)
            settings = _traffic_settings(self.sim, body)
        except BadRequest as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        found = self.sim.shop(shop)
        events = list(TrafficGenerator(self.sim.storefront, found, settings).events())
        dropped_before = len(self.sim.dropped)
        deliveries = await replay(events, self.sim, shop, disorder=disorder)
        topics: dict[str, int] = {}
        for event in events:
            topics[event.topic] = topics.get(event.topic, 0) + 1
        return JSONResponse(
            {
                "events": len(events),
                "topics": topics,
                "deliveries": len(deliveries),
                "duplicated": sum(1 for d in deliveries if any(a.duplicate for a in d.attempts)),
                # Lost on purpose (disorder.drop_rate): still in the shop's Admin API.
                "dropped": len(self.sim.dropped) - dropped_before,
                "pending": self.sim.webhooks.pending,
            }
        )
