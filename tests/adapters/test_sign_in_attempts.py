"""Sign-in attempt counters in DynamoDB (moto): atomic under concurrent attempts, expiring."""

from __future__ import annotations

import threading

from chalicelib.adapters.dynamodb_sign_in_attempts import EXPIRY_MARGIN, DynamoDBSignInAttempts
from chalicelib.domain.sign_in_throttle import Counter


def test_concurrent_attempts_are_each_counted_once_and_the_window_expires(stack):
    attempts = DynamoDBSignInAttempts(stack.client("dynamodb"), stack.settings.tickets_table)
    counter = Counter("address#abc", 1_800_000_000, 10, "this address")
    seen: list[int] = []
    start = threading.Barrier(8)

    def attempt() -> None:
        start.wait()
        for _ in range(5):
            seen.append(attempts.add(counter))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 41))
    item = stack.client("dynamodb").get_item(
        TableName=stack.settings.tickets_table,
        Key={"pk": {"S": "SIGNIN#address#abc"}, "sk": {"S": "1800000000"}},
    )["Item"]
    assert int(item["expires_at"]["N"]) == counter.window_end + EXPIRY_MARGIN
