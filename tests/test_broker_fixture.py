"""The broker fixture itself: a retained message reaches a fresh subscriber."""

from tests.support.broker import MosquittoBroker, Watcher, retained_snapshot


def test_retained_message_reaches_a_fresh_subscriber(broker: MosquittoBroker) -> None:
    publisher = Watcher(broker, ["unused/#"])
    publisher.publish("probe/topic", "hello", retain=True)
    publisher.close()
    assert retained_snapshot(broker, "probe/#") == {"probe/topic": b"hello"}
